//go:build !((linux && !android && (amd64 || arm64 || ppc64le)) || (windows && (amd64 || arm64)))

package nvml

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/restel/restel/provider"
)

// pidNamespaces is unused where NVML cannot load.
const pidNamespaces = false

// openLib fails: NVIDIA ships no NVML for this system.
func openLib(string) (lib, error) {
	return nil, fmt.Errorf("nvml: %w: %w: no NVML on %s/%s", provider.ErrUnavailable, errors.ErrUnsupported, runtime.GOOS, runtime.GOARCH)
}
