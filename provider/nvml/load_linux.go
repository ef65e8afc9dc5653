//go:build linux && !android && (amd64 || arm64 || ppc64le)

package nvml

import (
	"fmt"

	"github.com/ebitengine/purego"

	"github.com/restel/restel/provider"
)

// defaultLibrary is the soname the NVIDIA driver installs.
const defaultLibrary = "libnvidia-ml.so.1"

// pidNamespaces: Linux PIDs depend on the PID namespace (see
// hostPIDNamespace).
const pidNamespaces = true

// openLib loads NVML with dlopen(3) (through purego, without cgo) and
// resolves its functions with dlsym(3). The handle is never closed.
func openLib(path string) (lib, error) {
	if path == "" {
		path = defaultLibrary
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("nvml: %w: dlopen %s: %w", provider.ErrUnavailable, path, err)
	}
	d := &dl{}
	missing := d.resolve(func(name string) uintptr {
		p, err := purego.Dlsym(h, name)
		if err != nil {
			return 0
		}
		return p
	})
	if missing != "" {
		return nil, fmt.Errorf("nvml: %w: %s has no %s", provider.ErrUnavailable, path, missing)
	}
	return d, nil
}

// call calls the C function fn with args in integer registers.
//
//go:uintptrescapes
func call(fn uintptr, args ...uintptr) uintptr {
	r1, _, _ := purego.SyscallN(fn, args...)
	return r1
}
