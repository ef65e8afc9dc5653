package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"runtime"
	"time"

	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/provider"
)

func init() {
	register(command{
		name:    "snapshot",
		summary: "print one resource snapshot as JSON",
		run:     snapshotMain,
	})
}

const (
	// defaultSnapshotWait spaces the two reads so cpu_pct has a delta.
	defaultSnapshotWait = 200 * time.Millisecond
	// foreignRootTimeout bounds each read of a --procfs or --sysfs root
	// that is not the live kernel (a fixture tree, a FUSE or network
	// mount): a one-shot command can afford more than a monitor's 100 ms,
	// and a copy on a slow disk is still read whole.
	foreignRootTimeout = time.Second
	// slowSignalTimeout bounds each slow read: thermal, battery,
	// accelerators.
	slowSignalTimeout = 2 * time.Second
)

// snapshotMain implements `restel snapshot [--procfs DIR] [--sysfs DIR]
// [--pid N] [--wait DUR]` (docs/contract.md §6): two fast reads spaced by --wait, one
// thermal, one battery and one accelerator read, merged into one snapshot
// printed as a JSON object (the wire snapshot and its accelerators) and a
// newline. A missing root, a bad pid or a bad flag exits 2
// with one line on stderr and nothing on stdout. A signal that cannot be
// read is null in the output and reported as a warning on stderr.
func snapshotMain(e env, args []string) int {
	fs := newFlagSet("snapshot")
	rf := addRootFlags(fs, "RSS is read", "cpu_pct")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	if status := rf.check(e, fs); status != 0 {
		return status
	}
	p, status := rf.open(e, "snapshot")
	if status != 0 {
		return status
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}

	s, warn := takeSnapshot(e.ctx, p, *rf.wait)
	out := appendSnapshotJSON(make([]byte, 0, 512), &s)
	if status := writeOutput(e, "snapshot", "stdout", e.stdout, append(out, '\n')); status != 0 {
		return status
	}
	if warn != nil {
		usageErr(e, "snapshot: warning: %v", warn)
	}
	return 0
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// liveProcFS reports whether a --procfs value is the live /proc (the
// default, or /proc spelled another way) rather than a fixture tree. Where
// --procfs is ignored (neither Linux nor Android) the system is live.
func liveProcFS(dir string) bool {
	if runtime.GOOS != "linux" && runtime.GOOS != "android" {
		return true
	}
	return dir == "" || filepath.Clean(dir) == "/proc"
}

// takeSnapshot reads the fast signals twice, wait apart (the first read
// primes the CPU delta), then the slow signals once each, and merges them
// as a monitor does: a reading that succeeded and is known (a thermal
// state, a battery charge) overrides the fast snapshot's field; a failed
// or panicking read merges nothing and adds its error. The error collects what could not be read, by
// either fast read: a provider re-reads some sources on a slower cadence
// (the Linux cgroup limits and PSI, once a second), and the first read is
// the one that read them.
func takeSnapshot(ctx context.Context, p provider.SnapshotProvider, wait time.Duration) (provider.Snapshot, error) {
	first, firstErr := p.Snapshot(ctx)
	s, err := first, error(nil)
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if ctx.Err() == nil {
		s, err = p.Snapshot(ctx)
	}
	var errs []error
	seen := map[string]bool{}
	for _, e := range []error{firstErr, err} {
		for _, e := range flattenErrors(e) {
			if msg := e.Error(); !seen[msg] {
				seen[msg] = true
				errs = append(errs, e)
			}
		}
	}
	sigs := slowsig.Of(p)
	if a, ok := slowsig.Accelerators(p); ok {
		sigs = append(sigs, a)
	}
	if err := slowsig.ReadOnce(ctx, sigs, &s, slowSignalTimeout); err != nil {
		errs = append(errs, flattenErrors(err)...)
	}
	return s, errors.Join(errs...)
}

// appendSnapshotJSON appends what `restel snapshot` prints
// (docs/contract.md §9): the snapshot's wire object with, after its flat
// fields, "accelerators": the devices it lists ([] when none).
func appendSnapshotJSON(dst []byte, s *provider.Snapshot) []byte {
	dst = s.AppendJSON(dst)
	dst = append(dst[:len(dst)-1], `,"accelerators":[`...)
	for i, a := range s.Accelerators() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = a.AppendJSON(dst)
	}
	return append(dst, "]}"...)
}

// flattenErrors lists the errors err joins (errors.Join), or err itself;
// nil gives none.
func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}
