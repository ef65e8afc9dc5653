//go:build linux

package main

import (
	"os"
	"syscall"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/linux"
)

// childProvider returns the provider `restel run` samples: on Linux the
// child's whole process tree (linux.Tree: summed RSS, the tree's CPU time
// and high-water marks) with the device's fields. If it cannot be built
// (an unreadable /proc), the run is still summarized, from all-unknown
// snapshots, after a warning: telemetry never stops the command it
// observes.
func childProvider(e env, pid int) (provider.SnapshotProvider, func()) {
	t, err := linux.NewTree(pid)
	if err != nil {
		return unknownChild(e, pid, err)
	}
	return t, func() { _ = t.Close() }
}

// reapedPeakMiB is the reaped child's ru_maxrss in MiB: the largest
// resident set of the child or of any descendant it reaped (Linux reports
// KiB). The kernel also folds into it the high-water mark of the memory
// the child had before it exec'd the command, which for a child started
// with vfork semantics (as Go starts every child) is restel's own: a
// value no higher than restel's own ru_maxrss may be only that, and is
// not the tree's (the samples and the tree's VmHWM cover a child that
// small).
func reapedPeakMiB(ps *os.ProcessState) provider.Opt[uint64] {
	if ps == nil {
		return provider.Opt[uint64]{}
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil || ru.Maxrss <= 0 {
		return provider.Opt[uint64]{}
	}
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil || ru.Maxrss <= self.Maxrss {
		return provider.Opt[uint64]{}
	}
	return provider.MiB(uint64(ru.Maxrss) << 10)
}
