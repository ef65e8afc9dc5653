//go:build !linux

package main

import (
	"io"
	"os"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
)

// childProvider returns the native provider reading the child's pid only:
// off Linux, `restel run` observes the child process, not its
// descendants. If there is none (an unsupported OS), the run is still
// summarized, from all-unknown snapshots, after a warning: telemetry never
// stops the command it observes.
func childProvider(e env, pid int) (provider.SnapshotProvider, func()) {
	p, err := native.New(native.Options{PID: pid})
	if err != nil {
		return unknownChild(e, pid, err)
	}
	return p, func() {
		if c, ok := p.(io.Closer); ok {
			_ = c.Close()
		}
	}
}

// reapedPeakMiB is unknown off Linux: the reaped child's peak is not
// folded in there.
func reapedPeakMiB(*os.ProcessState) provider.Opt[uint64] { return provider.Opt[uint64]{} }

// becomeSubreaper does nothing off Linux: orphans of the command leave
// its tree there.
func becomeSubreaper() {}

// reapOrphans has nothing to reap off Linux: restel adopts no orphans.
func reapOrphans() {}

// adoptOrphans has no effect off Linux; it exists for the tests that set it.
var adoptOrphans = true
