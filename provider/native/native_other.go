//go:build !linux && !darwin && !windows

package native

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/restel/restel/provider"
)

// New fails on systems restel has no provider for (the BSDs, Plan 9,
// wasm, ...), with an error wrapping errors.ErrUnsupported. Callers such as
// the orchestrator fall back to all-unknown snapshots; a host can still
// push battery and thermal state.
func New(Options) (provider.SnapshotProvider, error) {
	return nil, fmt.Errorf("native: no resource provider for %s/%s: %w", runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)
}
