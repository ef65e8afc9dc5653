package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

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
		{"C1, invalid UTF-8 and bidi in a value quoted", "run", func(l *slog.Logger) {
			l.Warn("m", "value", "summary\x1b[2J\r\xff\u009b31m\u202e")
		}, `restel: run: m value="summary\x1b[2J\r\xff\u009b31m\u202e"` + "\n"},
		{"control sequences escaped in the message and error", "run", func(l *slog.Logger) {
			l.Warn("zone thermal_zone\x1b[2J\r gone", "err", errors.New("bad \xc2 \u0085 \u009b1m\x07"))
		}, `restel: run: zone thermal_zone\x1b[2J\r gone: bad \xc2 \u0085 \u009b1m\a` + "\n"},
		{"printable non-ASCII kept", "run", func(l *slog.Logger) { l.Warn("Température 42 °C", "zone", "café") }, "restel: run: Température 42 °C zone=café\n"},
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

// TestEscapeText: what a warning echoes is escaped to valid UTF-8 with no
// control, format or invalid byte left, and left alone when printable.
func TestEscapeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain /sys/class/thermal/thermal_zone0", "plain /sys/class/thermal/thermal_zone0"},
		{"thermal_zone\x1b[2J\r", `thermal_zone\x1b[2J\r`},
		{"tab\tbell\x07del\x7f", `tab\tbell\adel\x7f`},
		{"c1 \u0085 \u009b", `c1 \u0085 \u009b`},
		{"bad \xff\xc2 end", `bad \xff\xc2 end`},
		{"bidi \u202eevil\u202c zero\u200bwidth", `bidi \u202eevil\u202c zero\u200bwidth`},
		{"ünïcödé ✓ 温度", "ünïcödé ✓ 温度"},
		{`back\slash`, `back\slash`},
	} {
		got := escapeText(tc.in)
		if got != tc.want {
			t.Errorf("escapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return !strconv.IsPrint(r) }) {
			t.Errorf("escapeText(%q) = %q still holds something a terminal acts on", tc.in, got)
		}
	}
}

// FuzzEscapeText: any input comes out valid UTF-8 and printable, and
// printable input comes out unchanged.
func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b[2J\r", "\xff", "\u009b", "\u202e", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escapeText(s)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return !strconv.IsPrint(r) }) {
			t.Fatalf("escapeText(%q) = %q", s, got)
		}
		if !needsEscape(s) && got != s {
			t.Fatalf("escapeText(%q) = %q changed a printable text", s, got)
		}
	})
}

// TestUsageErrEscapes: the CLI's own lines escape what they echo, as the
// library's records do.
func TestUsageErrEscapes(t *testing.T) {
	var buf bytes.Buffer
	note(env{stderr: &buf}, "snapshot: warning: open /s/thermal_zone%s/temp: bad", "\x1b[2J\r\xff\u009b")
	if want := `restel: snapshot: warning: open /s/thermal_zone\x1b[2J\r\xff\u009b/temp: bad` + "\n"; buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

// TestCLILinesThroughHandler: usageErr and note write the same one line
// that cliHandler writes for a record with that message, escapes and
// multi-line folding included.
func TestCLILinesThroughHandler(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"plain", "watch: negative --interval -1s", "restel: watch: negative --interval -1s\n"},
		{"no command", "missing command", "restel: missing command\n"},
		{"multi-line", "serve: a\nb\n", "restel: serve: a; b\n"},
		{"escaped", "run: \x1b[2J\xff\u202e", `restel: run: \x1b[2J\xff\u202e` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var viaNote, viaUsage, viaLogger bytes.Buffer
			note(env{stderr: &viaNote}, "%s", tc.msg)
			if status := usageErr(env{stderr: &viaUsage}, "%s", tc.msg); status != exitUsage {
				t.Errorf("usageErr status %d, want %d", status, exitUsage)
			}
			cliLogger(env{stderr: &viaLogger}).Warn(tc.msg)
			for name, got := range map[string]string{"note": viaNote.String(), "usageErr": viaUsage.String(), "cliLogger": viaLogger.String()} {
				if got != tc.want {
					t.Errorf("%s wrote %q, want %q", name, got, tc.want)
				}
			}
		})
	}
}

// TestMonitorWarningFormat: a Monitor's own warning (an invalid
// RESTEL_RESOURCE_TELEMETRY) reaches the CLI in the one format, with the
// echoed value escaped.
func TestMonitorWarningFormat(t *testing.T) {
	for _, tc := range []struct{ value, echoed string }{
		{"sometimes", "sometimes"},
		{"summary\x1b[2J\r\xff\u009b31m", `"summary\x1b[2J\r\xff\u009b31m"`},
	} {
		e, _, stderr := testEnv(context.Background(), map[string]string{orchestrator.EnvMode: tc.value})
		e.cmd = "watch"
		p := provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Unknown(time.Now()), nil })
		m := orchestrator.New(p, orchestrator.WithGetenv(e.getenv), orchestrator.WithLogger(cliLogger(e)))
		m.ModeFromEnv(aggregate.Mode{Kind: aggregate.Summary})
		m.Close()
		got := stderr.String()
		if !strings.HasPrefix(got, "restel: watch: ignoring invalid RESTEL_RESOURCE_TELEMETRY") || strings.Count(got, "\n") != 1 || strings.Contains(got, "level=") {
			t.Errorf("stderr %q, want one line in the form restel: watch: ...", got)
		}
		if !strings.Contains(got, " value="+tc.echoed+" ") {
			t.Errorf("stderr %q, want value=%s", got, tc.echoed)
		}
		if !utf8.ValidString(got) || strings.ContainsFunc(strings.TrimSuffix(got, "\n"), func(r rune) bool { return !strconv.IsPrint(r) }) {
			t.Errorf("stderr %q holds something a terminal acts on", got)
		}
	}
}
