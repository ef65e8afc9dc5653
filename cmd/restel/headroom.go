package main

import (
	"context"
	"errors"
	"flag"

	"io"
	"runtime"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/linux"
	"github.com/restel/restel/provider/native"
)

func init() {
	register(command{
		name:    "headroom",
		summary: "print what the device can still give: effective CPUs, usable memory, thermal headroom",
		run:     headroomMain,
	})
}

// rootFlags are the flags snapshot, headroom and fit share: the roots,
// the process and the spacing of the two reads. pidReads and waitGives
// name, in the help, what the process is read for and what the second
// read gives.
type rootFlags struct {
	procfs, sysfs *string
	pid           *int
	wait          *time.Duration
}

func addRootFlags(fs *flag.FlagSet, pidReads, waitGives string) rootFlags {
	return rootFlags{
		procfs: fs.String("procfs", "", "procfs root (default /proc; Linux only)"),
		sysfs:  fs.String("sysfs", "", "sysfs root (default /sys; Linux only)"),
		pid:    fs.Int("pid", 0, "process whose "+pidReads+" (default: self)"),
		wait:   fs.Duration("wait", defaultSnapshotWait, "time between the two reads that give "+waitGives+" (default 200ms on a live system, 0 under a fixture --procfs)"),
	}
}

// addHeadroomFlags adds the shared flags as headroom and fit read them.
func addHeadroomFlags(fs *flag.FlagSet) rootFlags {
	return addRootFlags(fs, "limits are read", "the throttle ratio")
}

// check validates the shared flags; status is non-zero on bad input.
func (f rootFlags) check(e env, fs *flag.FlagSet) (status int) {
	if !flagSet(fs, "wait") && !liveProcFS(*f.procfs) {
		*f.wait = 0 // a fixture's counters do not move: waiting buys no delta
	}
	switch {
	case fs.NArg() > 0:
		return usageErr(e, "%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	case *f.pid < 0, *f.pid == 0 && flagSet(fs, "pid"):
		// 0 is the default's "restel itself", never a process id the
		// user can mean.
		return usageErr(e, "%s: --pid %d: want a positive process id", fs.Name(), *f.pid)
	case *f.wait < 0:
		return usageErr(e, "%s: --wait %v: want a non-negative duration", fs.Name(), *f.wait)
	}
	return 0
}

// open opens the provider the flags name; status is non-zero, with the
// line on stderr, when it cannot be opened. The caller closes it if it
// is an io.Closer.
func (f rootFlags) open(e env, cmd string) (p provider.SnapshotProvider, status int) {
	p, err := openProvider(native.Options{PID: *f.pid, ProcFS: *f.procfs, SysFS: *f.sysfs, ReadTimeout: foreignRootTimeout})
	if errors.Is(err, linux.ErrNoProcess) {
		return nil, usageErr(e, "%s: --pid %d: no process %d", cmd, *f.pid, *f.pid)
	}
	if err != nil {
		return nil, usageErr(e, "%s: %v", cmd, err)
	}
	return p, 0
}

// headroomMain implements `restel headroom [--procfs DIR] [--sysfs DIR]
// [--pid N] [--forecast DUR] [--wait DUR]` (docs/contract.md §10): two
// capacity reads spaced by --wait (the second gives the throttle ratio
// over that window), printed as one JSON object and a newline.
func headroomMain(e env, args []string) int {
	fs := newFlagSet("headroom")
	hf := addHeadroomFlags(fs)
	forecast := fs.Duration("forecast", headroom.DefaultHorizon, "how far ahead the thermal headroom is forecast (at most 60s)")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	if status := hf.check(e, fs); status != 0 {
		return status
	}
	if *forecast < 0 || *forecast > headroom.MaxHorizon {
		return usageErr(e, "headroom: --forecast %v: want a duration from 0s to %v", *forecast, headroom.MaxHorizon)
	}
	h, _, warn, status := readHeadroom(e, "headroom", hf, *forecast)
	if status != 0 {
		return status
	}
	if status := writeOutput(e, "headroom", "stdout", e.stdout, append(h.AppendJSON(nil), '\n')); status != 0 {
		return status
	}
	if warn != nil {
		note(e, "headroom: warning: %v", warn)
	}
	return 0
}

// readHeadroom opens the provider the flags name and reads its headroom;
// unified reports whether its accelerators all share host memory.
func readHeadroom(e env, cmd string, hf rootFlags, forecast time.Duration) (h headroom.Headroom, unified bool, warn error, status int) {
	p, status := hf.open(e, cmd)
	if status != 0 {
		return h, false, nil, status
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}
	h, unified, warn = takeHeadroom(e.ctx, p, *hf.wait, forecast)
	return h, unified, warn, 0
}

// takeHeadroom reads the provider's capacity twice, wait apart, and its
// thermal state and accelerators once, and folds them into headroom. A
// provider without the capacity capability is bounded by the host alone:
// its available memory and the CPUs the Go runtime sees.
func takeHeadroom(ctx context.Context, p provider.SnapshotProvider, wait, forecast time.Duration) (headroom.Headroom, bool, error) {
	var tr headroom.Tracker
	var c provider.Capacity
	var errs []error
	var accels []provider.Accelerator
	if r, ok := p.(provider.AcceleratorReader); ok {
		actx, cancel := context.WithTimeout(ctx, slowSignalTimeout)
		var err error
		accels, err = r.Accelerators(actx, nil)
		cancel()
		if err != nil && !errors.Is(err, provider.ErrUnavailable) {
			errs = append(errs, err)
		}
	}
	unified := headroom.Unified(accels)
	thermal := provider.ThermalUnknown
	if r, ok := p.(provider.ThermalReader); ok {
		tctx, cancel := context.WithTimeout(ctx, slowSignalTimeout)
		th, err := r.Thermal(tctx)
		cancel()
		thermal = th
		if err != nil && !errors.Is(err, provider.ErrUnavailable) {
			errs = append(errs, err)
		}
	}
	r, ok := p.(provider.CapacityReader)
	if !ok {
		s, err := p.Snapshot(ctx)
		if err != nil {
			errs = append(errs, err)
		}
		c.CPULimits = append(c.CPULimits, provider.CPULimit{By: headroom.ByHost, CPUs: float64(runtime.NumCPU())})
		if s.AvailableMemMB.Valid {
			c.MemLimits = append(c.MemLimits, provider.MemLimit{By: headroom.ByHost, AvailMB: s.AvailableMemMB.V})
		}
		return tr.Update(time.Now(), &c, accels, thermal, forecast), unified, errors.Join(errs...)
	}
	err := r.Capacity(ctx, &c)
	h := tr.Update(time.Now(), &c, accels, thermal, forecast)
	if wait > 0 && ctx.Err() == nil {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		err = r.Capacity(ctx, &c)
		h = tr.Update(time.Now(), &c, accels, thermal, forecast)
	} else if c.Throttle.Valid {
		// One read: the counters since the cgroup was created are the
		// only window there is.
		h.ThrottledRatio = ratioSinceStart(c.Throttle.V)
	}
	if err != nil {
		errs = append(errs, err)
	}
	return h, unified, errors.Join(errs...)
}

// ratioSinceStart is the throttle ratio over the cgroup's whole life.
func ratioSinceStart(tc provider.ThrottleCounts) provider.Opt[float64] {
	r, ok := headroom.ThrottledRatio(provider.ThrottleCounts{By: tc.By}, tc)
	if !ok {
		return provider.Opt[float64]{}
	}
	return provider.Some(r)
}
