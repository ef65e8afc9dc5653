// Package native picks the platform provider for the running OS: Linux and
// Android read procfs and sysfs (provider/linux), macOS and iOS read
// sysctl, Mach and IOKit (provider/darwin), Windows reads Win32
// (provider/windows), and anything else gets an error wrapping
// errors.ErrUnsupported (a caller such as the process-wide default monitor
// then reports every field unknown).
//
// The returned provider.SnapshotProvider also implements the optional
// capabilities its platform supports — provider.ThermalReader,
// provider.BatteryReader, provider.RunReader and io.Closer — found by type
// assertion. On macOS, iOS and Windows every snapshot carries the device
// CPU busy and total counters, and RunSnapshot adds the process's CPU time
// and its kernel peak memory (see provider/darwin and provider/windows).
package native

import "time"

// Options selects what a native provider observes. The zero value observes
// the calling process on the live system.
type Options struct {
	// PID is the process whose resident set size is read; 0 means the
	// calling process (under a non-default ProcFS root, that root's
	// "self").
	PID int
	// ProcFS and SysFS are the procfs and sysfs roots on Linux and Android
	// (default "/proc" and "/sys"). They are ignored on other systems.
	ProcFS, SysFS string
	// ReadTimeout bounds each read of a procfs or sysfs root that is not
	// the live kernel (a fixture tree, a FUSE or network mount), and the
	// provider's construction on it; 0 selects the provider's default.
	// Ignored where there are no such roots.
	ReadTimeout time.Duration
}
