//go:build linux

package native

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/linux"
)

// New returns the Linux (and Android) provider, a *linux.Provider reading
// /proc/stat, /proc/meminfo, /proc/<pid>/statm, the cgroup memory files and
// PSI on the hot path, and sysfs thermal zones, hwmon and power_supply as
// slow signals. It fails, naming the path, when a root or the pid's procfs
// directory is missing.
func New(opts Options) (provider.SnapshotProvider, error) {
	var o []linux.Option
	if opts.ProcFS != "" {
		o = append(o, linux.WithProcFS(opts.ProcFS))
	}
	if opts.SysFS != "" {
		o = append(o, linux.WithSysFS(opts.SysFS))
	}
	if opts.PID != 0 {
		o = append(o, linux.WithPID(opts.PID))
	}
	if opts.ReadTimeout > 0 {
		o = append(o, linux.WithReadTimeout(opts.ReadTimeout))
	}
	p, err := linux.New(o...)
	if err != nil {
		return nil, err // a nil *linux.Provider must not become a non-nil interface
	}
	return p, nil
}
