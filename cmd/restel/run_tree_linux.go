//go:build linux

package main

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

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
	if isSubreaper() {
		if err := t.Adopt(); err != nil {
			note(e, "run: warning: orphans of pid %d are not observed: %v", pid, err)
		}
	}
	return t, func() {
		warnIncompleteTree(e, t.Stats())
		_ = t.Close()
	}
}

// warnIncompleteTree says, once at the end of a run, when reads of the
// process tree answered with totals that miss part of it (a process whose
// stat or children list could not be read, a tree past the walk's limit):
// the summary's process figures then cover less than the whole tree, and
// nothing else would show it.
func warnIncompleteTree(e env, st linux.TreeStats) {
	if st.Incomplete == 0 {
		return
	}
	note(e, "run: warning: %d of %d reads of the process tree missed part of it; process_rss_peak_mb and process_cpu_pct may cover less than the whole tree", st.Incomplete, st.Reads)
}

// becomeSubreaper makes restel the child subreaper of what it runs
// (prctl PR_SET_CHILD_SUBREAPER): a descendant of the command whose
// parent exits (a double fork, setsid, nohup … &) is re-parented to
// restel rather than to init, so the tree keeps observing it (see
// linux.Tree.Adopt). Set before the command starts; a kernel that
// refuses it (before 3.4) leaves orphans unobserved, as before.
func becomeSubreaper() {
	if adoptOrphans {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
}

// adoptOrphans is false only in this package's tests that run restel
// inside the test binary, whose other children are not the command's.
var adoptOrphans = true

// isSubreaper reports whether becomeSubreaper took effect.
func isSubreaper() bool {
	var v int32
	err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&v)), 0, 0, 0)
	return err == nil && v != 0
}

// reapOrphans reaps every adopted orphan that has exited, once the
// command itself has been reaped and the summary taken, so restel leaves
// no zombie. Orphans still running are not waited for: restel reports
// and exits with the command's status, and they run on, re-parented to
// init (or to the next subreaper up) when restel exits.
func reapOrphans() {
	for adoptOrphans {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
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
