package main

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// watchUsage is the synopsis quoted by `restel watch` usage errors.
const watchUsage = "restel watch [--interval DUR] [--json]"

// watchConfig is a parsed `restel watch` command line.
type watchConfig struct {
	interval time.Duration
	json     bool
	// clamped: the --interval given (requested) was below the minimum
	// and interval is the minimum instead.
	clamped   bool
	requested time.Duration
}

// parseWatchArgs parses `restel watch` flags. The interval follows the
// sampling-mode rule of docs/contract.md §3: default 1s, anything below 250ms (zero
// included) is clamped up to 250ms; a negative interval or a positional
// argument is bad input.
func parseWatchArgs(e env, args []string) (cfg watchConfig, status int, ok bool) {
	fs := newFlagSet("watch")
	fs.DurationVar(&cfg.interval, "interval", aggregate.DefaultInterval, "time between snapshots (minimum 250ms; smaller values are clamped up)")
	fs.BoolVar(&cfg.json, "json", false, "print NDJSON snapshots even on a terminal")
	if status, ok := parseFlags(e, fs, args); !ok {
		return cfg, status, false
	}
	if fs.NArg() > 0 {
		return cfg, usageErr(e, "watch: unexpected argument %q: usage: %s", fs.Arg(0), watchUsage), false
	}
	if cfg.interval < 0 {
		return cfg, usageErr(e, "watch: negative --interval %v", cfg.interval), false
	}
	if cfg.interval < aggregate.MinInterval {
		cfg.clamped, cfg.requested = true, cfg.interval
		cfg.interval = aggregate.MinInterval
	}
	return cfg, 0, true
}

// snapshotWatcher is the part of orchestrator.Monitor that watch uses: the
// live snapshot, and a subscription whose channel delivers one snapshot
// per interval and is closed once ctx is done.
type snapshotWatcher interface {
	CurrentSnapshot(maxAge time.Duration) provider.Snapshot
	Watch(ctx context.Context, interval time.Duration) <-chan provider.Snapshot
}

// chooseView returns the live table when w is a terminal and --json was
// not given, NDJSON otherwise.
func chooseView(e env, cfg watchConfig, w io.Writer) view {
	if !cfg.json && isTerminal(w) {
		return &tableView{w: w, caps: termCapsFrom(e.getenv), interval: cfg.interval, loc: time.Local}
	}
	return &ndjsonView{w: w}
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFd(f.Fd())
}

// watchFirstMaxAge is how old the first snapshot shown may be: the
// default TTL of internal callers (docs/contract.md §1), so the snapshot the caller's
// Prewarm just read is shown as is.
const watchFirstMaxAge = 500 * time.Millisecond

// redrawer is a view that can draw its last frame again from scratch
// (the live table, after a resize).
type redrawer interface {
	redraw() error
}

// watchLoop shows the current snapshot at once (no wait for the first
// tick: `restel watch --json | head -n 1` answers immediately), then every
// snapshot of src's subscription, until ctx is done (exit status 0)
// or a write fails: a reader that went away (EPIPE, a closed file) is a
// clean end, status 0; any other write error is reported on stderr,
// status 1. Each value on resized (SIGWINCH) redraws a view that can. It
// returns only after src's channel is closed, so the subscription's
// goroutines are gone.
func watchLoop(ctx context.Context, e env, src snapshotWatcher, interval time.Duration, v view, resized <-chan os.Signal) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if ctx.Err() != nil {
		return 0
	}
	snaps := src.Watch(ctx, interval)
	werr := v.show(src.CurrentSnapshot(watchFirstMaxAge))
	if werr != nil {
		cancel()
	}
	for {
		select {
		case s, ok := <-snaps:
			if !ok {
				return watchEnd(e, werr)
			}
			if werr != nil {
				continue // drain until the subscription closes
			}
			if werr = v.show(s); werr != nil {
				cancel()
			}
		case <-resized:
			if r, ok := v.(redrawer); ok && werr == nil {
				if werr = r.redraw(); werr != nil {
					cancel()
				}
			}
		}
	}
}

// watchEnd returns watch's exit status for the write error werr.
func watchEnd(e env, werr error) int {
	switch {
	case werr == nil, errors.Is(werr, syscall.EPIPE), errors.Is(werr, os.ErrClosed), errors.Is(werr, io.ErrClosedPipe):
		return 0
	default:
		note(e, "watch: %v", werr)
		return 1
	}
}
