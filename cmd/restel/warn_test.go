package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// TestCLIHandler: a library's slog records come out in the CLI's one
// warning format, "restel: CMD: message".
func TestCLIHandler(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  string
		log  func(l *slog.Logger)
		want string
	}{
		{"message and error", "run", func(l *slog.Logger) {
			l.Warn("restel: debug_local raw samples not kept", "err", errors.New("refusing /c/restel: a symlink"))
		}, "restel: run: debug_local raw samples not kept: refusing /c/restel: a symlink\n"},
		{"attributes in logfmt", "watch", func(l *slog.Logger) {
			l.Warn("restel: ignoring invalid RESTEL_RESOURCE_TELEMETRY", "value", "some times", "err", errors.New("bad mode"), "mode", "summary:1s")
		}, `restel: watch: ignoring invalid RESTEL_RESOURCE_TELEMETRY: bad mode value="some times" mode=summary:1s` + "\n"},
		{"no command yet", "", func(l *slog.Logger) { l.Warn("hello", "n", 3) }, "restel: hello n=3\n"},
		{"command named twice", "run", func(l *slog.Logger) { l.Warn("run: x") }, "restel: run: x\n"},
		{"multi-line message", "run", func(l *slog.Logger) { l.Warn("a\nb", "err", errors.New("c\nd")) }, "restel: run: a; b: c; d\n"},
		{"with attrs and group", "run", func(l *slog.Logger) {
			l.With("pid", 7).WithGroup("g").Warn("m", "k", "", "err", "e")
		}, `restel: run: m: e pid=7 g.k=""` + "\n"},
		{"group value", "run", func(l *slog.Logger) { l.Warn("m", slog.Group("g", "a", 1, "b", "x=y")) }, `restel: run: m g.a=1 g.b="x=y"` + "\n"},
		{"control characters quoted", "run", func(l *slog.Logger) { l.Warn("m", "v", "a\x1b[2Jb") }, `restel: run: m v="a\x1b[2Jb"` + "\n"},
		{"debug dropped", "run", func(l *slog.Logger) { l.Debug("noise") }, ""},
		{"info kept", "run", func(l *slog.Logger) { l.Info("note") }, "restel: run: note\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := env{stderr: &buf, cmd: tc.cmd}
			tc.log(cliLogger(e))
			if got := buf.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestCLIHandlerConcurrent: concurrent records never interleave within a
// line.
func TestCLIHandlerConcurrent(t *testing.T) {
	var buf bytes.Buffer
	l := cliLogger(env{stderr: &buf, cmd: "run"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				l.Warn("concurrent", "i", i)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "restel: run: concurrent i=") {
			t.Fatalf("mangled line %q", line)
		}
	}
}

// TestMonitorWarningFormat: a Monitor's own warning (an invalid
// RESTEL_RESOURCE_TELEMETRY) reaches the CLI in the one format.
func TestMonitorWarningFormat(t *testing.T) {
	e, _, stderr := testEnv(context.Background(), map[string]string{orchestrator.EnvMode: "sometimes"})
	e.cmd = "watch"
	p := provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Unknown(time.Now()), nil })
	m := orchestrator.New(p, orchestrator.WithGetenv(e.getenv), orchestrator.WithLogger(cliLogger(e)))
	defer m.Close()
	m.Mode(aggregate.Mode{Kind: aggregate.Summary})
	got := stderr.String()
	if !strings.HasPrefix(got, "restel: watch: ignoring invalid RESTEL_RESOURCE_TELEMETRY") || strings.Count(got, "\n") != 1 || strings.Contains(got, "level=") {
		t.Errorf("stderr %q, want one line in the form restel: watch: ...", got)
	}
}
