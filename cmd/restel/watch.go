package main

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider/native"
)

func init() {
	register(command{
		name:    "watch",
		summary: "live view of the device's resource state",
		usage:   watchUsage,
		run:     watchMain,
	})
}

// watchMain implements `restel watch [--interval DUR] [--json]` (docs/contract.md §6).
//
// Snapshots come from the native provider through
// orchestrator.Monitor.Watch, one per interval (default 1s; below 250ms is
// clamped up, as for sampling modes, with a warning on stderr). With
// --json, or when stdout is not a terminal, each snapshot is printed as
// one NDJSON line (docs/contract.md §2 wire form); on a terminal a compact
// table is redrawn in place, with a one-minute sparkline of CPU and
// available memory, memory pressure and thermal state in the JSON's words
// and in colour unless NO_COLOR is set (no-color.org) or TERM=dumb (no
// escape sequences at all). Lines are cut to the terminal's width, and a
// resize clears the screen and redraws. When stdin is a terminal too, it
// is put in cbreak mode (keys not echoed) and q quits; the mode is
// restored on every way out. SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT
// end it with status 0, and so does a reader that goes away (EPIPE:
// `restel watch | head`).
func watchMain(e env, args []string) int {
	cfg, status, ok := parseWatchArgs(e, args)
	if !ok {
		return status
	}
	if cfg.clamped {
		note(e, "watch: --interval %v is below the minimum, clamped to %v", cfg.requested, cfg.interval)
	}
	ctx, stop := signal.NotifyContext(e.ctx, watchQuitSignals...)
	defer stop()

	p, err := openProvider(native.Options{})
	if err != nil {
		note(e, "watch: %v", err)
		return 1
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}
	m := orchestrator.New(p, orchestrator.WithGetenv(e.getenv), orchestrator.WithLogger(cliLogger(e)))
	m.Prewarm() // the first snapshot shown has thermal and battery
	defer m.Close()

	v := chooseView(e, cfg, e.stdout)
	var resized <-chan os.Signal
	if tv, ok := v.(*tableView); ok {
		tv.headroom = m.Headroom
		if out, ok := e.stdout.(*os.File); ok {
			tv.cols = func() int { c, _ := termSize(out); return c }
			tv.rows = func() int { _, r := termSize(out); return r }
		}
		var stopResize func()
		resized, stopResize = notifyResize()
		defer stopResize()
		if in, ok := e.stdin.(*os.File); ok && isTerminalFd(in.Fd()) && ctx.Err() == nil {
			var quit context.CancelFunc
			ctx, quit = context.WithCancel(ctx)
			defer quit()
			if stopKeys, reapply, err := startKeys(in, quit); err == nil {
				defer stopKeys()
				tv.quitHint = true
				tv.beforeRedraw = reapply
			}
		}
	}
	return watchLoop(ctx, e, m, cfg.interval, v, resized)
}
