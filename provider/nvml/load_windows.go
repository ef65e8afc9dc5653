//go:build windows && (amd64 || arm64)

package nvml

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/restel/restel/provider"
)

// pidNamespaces: Windows has one PID space for NVML and this process.
const pidNamespaces = false

// libraryPaths are where the driver installs nvml.dll: the system
// directory (DCH drivers), then the NVSMI directory of older ones. Full
// paths, so no other directory's nvml.dll is loaded.
func libraryPaths() []string {
	var paths []string
	if sys, err := windows.GetSystemDirectory(); err == nil {
		paths = append(paths, filepath.Join(sys, "nvml.dll"))
	}
	if pf := os.Getenv("ProgramW6432"); pf != "" {
		paths = append(paths, filepath.Join(pf, "NVIDIA Corporation", "NVSMI", "nvml.dll"))
	}
	return paths
}

// openLib loads NVML with LoadLibraryEx (windows.LazyDLL) and resolves
// its functions with GetProcAddress. The library is never freed.
func openLib(path string) (lib, error) {
	paths := []string{path}
	if path == "" {
		paths = libraryPaths()
	}
	var errs []error
	for _, p := range paths {
		dll := windows.NewLazyDLL(p)
		if err := dll.Load(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		d := &dl{}
		missing := d.resolve(func(name string) uintptr {
			proc := dll.NewProc(name)
			if proc.Find() != nil {
				return 0
			}
			return proc.Addr()
		})
		if missing != "" {
			return nil, fmt.Errorf("nvml: %w: %s has no %s", provider.ErrUnavailable, p, missing)
		}
		return d, nil
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no system directory"))
	}
	return nil, fmt.Errorf("nvml: %w: loading nvml.dll: %w", provider.ErrUnavailable, errors.Join(errs...))
}

// call calls the C function fn with args in integer registers.
//
//go:uintptrescapes
func call(fn uintptr, args ...uintptr) uintptr {
	r1, _, _ := syscall.SyscallN(fn, args...)
	return r1
}
