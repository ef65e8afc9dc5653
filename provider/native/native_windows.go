//go:build windows

package native

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/windows"
)

// New returns the Windows provider, a *windows.Provider reading
// GlobalMemoryStatusEx, GetSystemTimes, K32GetProcessMemoryInfo and the
// low-memory resource notification on the hot path, and
// GetSystemPowerStatus as a slow signal. Windows has no cheap thermal
// source: thermal state is unknown unless the host pushes it.
// Options.ProcFS and Options.SysFS are ignored.
func New(opts Options) (provider.SnapshotProvider, error) {
	p, err := windows.New(windows.WithPID(opts.PID))
	if err != nil {
		return nil, err // a nil *windows.Provider must not become a non-nil interface
	}
	return p, nil
}
