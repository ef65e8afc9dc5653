package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"

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
// clamped up, as for sampling modes). With --json, or when stdout is not a
// terminal, each snapshot is printed as one NDJSON line (docs/contract.md §2 wire form);
// on a terminal a compact table is redrawn in place, with memory pressure
// and thermal state in colour unless NO_COLOR is set (no-color.org) or
// TERM=dumb (no escape sequences at all). SIGINT or SIGTERM ends it with
// status 0, and so does a reader that goes away (EPIPE: `restel watch |
// head`).
func watchMain(e env, args []string) int {
	cfg, status, ok := parseWatchArgs(e, args)
	if !ok {
		return status
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer catchSIGPIPE()()

	p, err := native.New(native.Options{})
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
	return watchLoop(ctx, e, m, cfg.interval, chooseView(e, cfg, e.stdout))
}
