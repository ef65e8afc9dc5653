//go:build darwin

package native

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/darwin"
)

// New returns the macOS / iOS provider, a *darwin.Provider reading sysctls
// (hw.memsize, vm.page_*_count, kern.memorystatus_vm_pressure_level),
// host_statistics and proc_pid_rusage on the hot path, and the notify(3)
// thermal pressure level and the IOKit power sources as slow signals.
// Options.ProcFS and Options.SysFS are ignored.
func New(opts Options) (provider.SnapshotProvider, error) {
	p, err := darwin.New(darwin.WithPID(opts.PID))
	if err != nil {
		return nil, err // a nil *darwin.Provider must not become a non-nil interface
	}
	return p, nil
}
