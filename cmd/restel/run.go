package main

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

func init() {
	register(command{
		name:    "run",
		summary: "run a command, sample its resource use, print the usage summary",
		usage:   runUsage,
		run:     runMain,
	})
}

// runMain implements `restel run [--mode M] [--out FILE] -- CMD [ARGS...]`
// (docs/contract.md §6).
//
// CMD runs with restel's stdin, stdout and stderr and environment. Its
// resource use is sampled by an orchestrator.Monitor over the child's
// process tree (childProvider; on Linux linux.Tree, which sums VmRSS from
// /proc/<pid>/status over the child and every descendant, so
// process_rss_peak_mb is the tree's resident set, not restel's). The
// tree's counters (CPU time, stalls, high-water marks) are read at the
// run's start and end, and the child's ru_maxrss is folded into the peak
// once it is reaped (reapedPeakMiB). The run
// begins right after the child has been started (exec has succeeded, so
// the start snapshot sees the child's own image, a moment into its life)
// and ends once the child has exited: on Linux the exit is observed with
// waitid(WNOWAIT) and the end snapshot taken before the child is reaped, so
// its pid cannot be reused meanwhile (a zombie has no resident pages: the
// end snapshot's RSS is unknown and the peak comes from the samples taken
// while it ran). SIGTERM, SIGHUP, SIGINT and SIGQUIT received by restel
// are forwarded to the child (restel itself waits for the child and still
// prints the summary), except a SIGINT or SIGQUIT while restel runs in its
// terminal's foreground: the terminal delivered the Ctrl-C (or Ctrl-\) to
// the child (same process group) already, and a second interrupt would
// cut its cleanup short (see terminalSentIt). A signal that was ignored
// when restel started stays ignored, for restel and the child, and is not
// forwarded (see forwardedSignals). Once the child has exited, these
// signals end restel as they end any program. The summary (aggregate.Usage
// JSON, or null for mode off) goes to stderr after the child's output, or
// to --out FILE, written where the shell's `>` would (see outFile).
//
// Exit status, as wrappers such as env(1), time(1) and timeout(1) report
// it: the child's exit status, or 128+N when signal N killed it; 127 when
// the command is not found and 126 when it cannot be executed (no
// permission, a directory, not an executable format), with one line on
// stderr naming it, so a command that never ran is told apart from one
// that ran and exited 2. Bad input is status 2 with one line on stderr and
// nothing on stdout: a bad flag or mode, a missing command, an unusable
// --out. When the child exited 0 but --out could not be written, the
// status is 1 (an I/O error; the summary then follows a one-line note on
// stderr): a run whose output was lost never reports success, and a
// child's failure is never masked.
//
// The mode is --mode when given; otherwise summary (1000 ms) overridden by
// RESTEL_RESOURCE_TELEMETRY (read through env.getenv).
func runMain(e env, args []string) int {
	cfg, status, ok := parseRunArgs(e, args)
	if !ok {
		return status
	}
	cfg.modeArg.noteClamped(e, "run")
	var out *outFile
	if cfg.out != "" {
		var err error
		if out, err = createOut(cfg.out); err != nil {
			return usageErr(e, "run: %v", err)
		}
		defer out.discard()
	}

	// The child and restel's own warnings share stderr. A file is handed to
	// the child as is (concurrent writes to it are fine); any other writer
	// is copied into by os/exec's goroutine, so restel's writes must take
	// the same lock.
	if _, ok := e.stderr.(*os.File); !ok {
		e.stderr = &lockedWriter{w: e.stderr}
	}

	// Catch the signals before starting the child: one that arrives in
	// between is forwarded instead of killing restel and orphaning it.
	// Those ignored when restel started stay ignored, for restel and the
	// child alike (see forwardedSignals).
	sigs := make(chan os.Signal, 4)
	if fwd := forwardedSignals(); len(fwd) > 0 {
		signal.Notify(sigs, fwd...)
	}
	defer signal.Stop(sigs)

	// The mode is settled before the command starts: whether restel
	// adopts the command's orphans depends on it (an off run never reads
	// the tree, so it would never reap them).
	mode := runMode(e, cfg)
	if mode.Kind != aggregate.Off {
		becomeSubreaper() // orphans of the command stay in its tree
	}
	cmd, err := startChild(e, cfg.argv)
	if err != nil {
		status, msg := startFailure(cfg.argv[0], err)
		note(e, "run: %s", msg)
		return status
	}
	stopForwarding := startForwarding(sigs, cmd.Process, terminalSentIt(cmd.Process.Pid))
	// Once the child has exited there is nobody to forward to: restel's
	// own SIGTERM, SIGINT, SIGHUP and SIGQUIT end restel again, as for any
	// program, so a summary write that blocks (a full pipe nobody reads)
	// cannot keep it alive.
	childGone := sync.OnceFunc(func() {
		stopForwarding()
		signal.Stop(sigs)
	})
	defer childGone()
	usage, sampled := sampleChild(e, mode, cmd, childGone)
	childGone()
	reapOrphans()

	line := []byte("null\n")
	if sampled {
		line = append(usage.AppendJSON(make([]byte, 0, 320)), '\n')
	}
	status = exitStatus(cmd.ProcessState)
	if out != nil {
		if err := out.commit(line); err != nil {
			// The child has run: the summary still reaches stderr.
			note(e, "run: %v; summary follows on stderr", err)
			_, _ = e.stderr.Write(line)
			if status == 0 {
				status = exitIO
			}
		}
	} else if _, err := e.stderr.Write(line); err != nil && status == 0 {
		status = exitIO // the summary is lost: as time(1), say so by the status
	}
	return status
}

// runMode is the run's mode: --mode when given (it beats the
// environment, docs/contract.md §6), else RESTEL_RESOURCE_TELEMETRY over
// the default summary mode, an invalid value warned about in restel's
// form.
func runMode(e env, cfg runConfig) aggregate.Mode {
	if cfg.modeSet {
		return cfg.mode
	}
	m := orchestrator.New(nil, orchestrator.WithGetenv(e.getenv), orchestrator.WithLogger(cliLogger(e)))
	defer m.Close()
	return m.ModeFromEnv(aggregate.SummaryEvery(aggregate.DefaultInterval))
}

// sampleChild samples the started child in mode until it exits and reaps
// it, calling gone as soon as the child has exited. ok is false for mode
// off (a run whose e.ctx ended stops sampling but keeps its summary).
func sampleChild(e env, mode aggregate.Mode, cmd *exec.Cmd, gone func()) (u aggregate.Usage, ok bool) {
	if mode.Kind == aggregate.Off {
		_ = cmd.Wait()
		gone()
		return u, false
	}
	p, closeP := childProvider(e, cmd.Process.Pid)
	defer closeP()
	m := orchestrator.New(p, orchestrator.WithLogger(cliLogger(e)))
	defer m.Close()
	run := m.BeginRun(e.ctx, mode)
	defer run.Close()
	stopWatch := watchTree(p, mode)
	defer stopWatch()
	if awaitExit(cmd.Process) {
		gone()
		u, ok = run.Finish() // the end read sees the exited child before it is reaped
		_ = cmd.Wait()
	} else {
		_ = cmd.Wait()
		gone()
		u, ok = run.Finish()
	}
	if ok {
		u = foldReaped(u, reapedPeakMiB(cmd.ProcessState))
	}
	if path := run.DebugPath(); path != "" {
		note(e, "run: raw samples written to %s", path)
	}
	return u, ok
}

// forwardedSignals is the signals `restel run` catches and forwards to
// the child: SIGINT, SIGTERM, SIGHUP and SIGQUIT, less those ignored when
// restel started. An ignored signal (nohup's SIGHUP; SIGINT for a
// background job of a non-interactive shell) is left ignored, as env(1)
// leaves it: catching it would un-ignore it, and the child would start
// with it at its default disposition. The Go runtime keeps an inherited
// SIG_IGN only for SIGHUP and SIGINT (it installs its own handler for the
// others before restel's code runs, so an ignored SIGQUIT or SIGTERM
// cannot be seen, and the child gets those at their defaults).
func forwardedSignals() []os.Signal {
	var fwd []os.Signal
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		if !signal.Ignored(sig) {
			fwd = append(fwd, sig)
		}
	}
	return fwd
}

// unknownChild is the provider of a run whose child cannot be observed:
// all-unknown snapshots, after a warning naming why.
func unknownChild(e env, pid int, err error) (provider.SnapshotProvider, func()) {
	note(e, "run: warning: cannot sample pid %d: %v", pid, err)
	return provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{}, err
	}), func() {}
}
