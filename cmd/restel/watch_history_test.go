package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/restel/restel/provider"
)

func TestHistoryLen(t *testing.T) {
	for interval, want := range map[time.Duration]int{
		250 * time.Millisecond: 240,
		time.Second:            60,
		7 * time.Second:        9, // 63 s covers the minute
		time.Minute:            1,
		time.Hour:              1,
		0:                      1,
		-time.Second:           1,
	} {
		if got := historyLen(interval); got != want {
			t.Errorf("historyLen(%v) = %d, want %d", interval, got, want)
		}
	}
}

func TestHistoryRing(t *testing.T) {
	type sample struct {
		v  float64
		ok bool
	}
	for _, tc := range []struct {
		name   string
		size   int
		push   []sample
		want   []sample
		lo, hi float64
		known  bool
	}{
		{"empty", 3, nil, nil, 0, 0, false},
		{"partly full", 3, []sample{{1, true}, {5, true}}, []sample{{1, true}, {5, true}}, 1, 5, true},
		{"wraps, oldest dropped", 3, []sample{{1, true}, {2, true}, {3, true}, {4, true}, {0.5, true}},
			[]sample{{3, true}, {4, true}, {0.5, true}}, 0.5, 4, true},
		{"unknown samples kept in place, left out of bounds", 4, []sample{{9, true}, {0, false}, {2, true}, {0, false}},
			[]sample{{9, true}, {0, false}, {2, true}, {0, false}}, 2, 9, true},
		{"all unknown", 2, []sample{{0, false}, {0, false}, {0, false}}, []sample{{0, false}, {0, false}}, 0, 0, false},
		{"size below 1 is 1", 0, []sample{{1, true}, {2, true}}, []sample{{2, true}}, 2, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory(tc.size)
			for _, s := range tc.push {
				h.push(s.v, s.ok)
			}
			var got []sample
			for i := range h.len() {
				v, ok := h.at(i)
				got = append(got, sample{v, ok})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("held %v, want %v", got, tc.want)
			}
			if lo, hi, ok := h.bounds(h.len()); lo != tc.lo || hi != tc.hi || ok != tc.known {
				t.Errorf("bounds = %v %v %v, want %v %v %v", lo, hi, ok, tc.lo, tc.hi, tc.known)
			}
		})
	}
}

func TestSparkLevel(t *testing.T) {
	for _, tc := range []struct {
		v, lo, hi float64
		want      int
	}{
		{0, 0, 100, 0},
		{-5, 0, 100, 0},
		{12.4, 0, 100, 0},
		{12.5, 0, 100, 1},
		{50, 0, 100, 4},
		{87.4, 0, 100, 6},
		{87.5, 0, 100, 7},
		{99.9, 0, 100, 7},
		{100, 0, 100, 7},
		{250, 0, 100, 7},
		{math.NaN(), 0, 100, 0},
		{math.Inf(1), 0, 100, 7},
		{5, 5, 5, 3},  // a flat scale draws the middle bar
		{5, 10, 0, 3}, // so does an inverted one
		{1, math.NaN(), 2, 3},
		{4000, 0, 16000, 2},
	} {
		if got := sparkLevel(tc.v, tc.lo, tc.hi); got != tc.want {
			t.Errorf("sparkLevel(%v, %v, %v) = %d, want %d", tc.v, tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestAppendSparkline(t *testing.T) {
	h := newHistory(10)
	for _, v := range []float64{0, 12.5, 25, 37.5, 50, 62.5, 75, 100} {
		h.push(v, true)
	}
	h.push(0, false)
	for _, tc := range []struct {
		width int
		want  string
	}{
		{100, "▁▂▃▄▅▆▇█ "},
		{9, "▁▂▃▄▅▆▇█ "},
		{4, "▆▇█ "}, // the newest ones
		{1, " "},
		{0, ""},
		{-3, ""},
	} {
		if got := string(appendSparkline(nil, h, tc.width, 0, 100)); got != tc.want {
			t.Errorf("width %d: %q, want %q", tc.width, got, tc.want)
		}
	}
}

func TestFitWidth(t *testing.T) {
	for _, tc := range []struct {
		line string
		cols int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 4, "hell"},
		{"hello", 0, "hello"}, // unknown width: no limit
		{"hello", -1, "hello"},
		{"\x1b[2Khello", 3, "\x1b[2Khel"},
		{"ab\x1b[33mwarn\x1b[0m", 4, "ab\x1b[33mwa\x1b[0m"},
		{"ab\x1b[33mwarn\x1b[0m", 6, "ab\x1b[33mwarn\x1b[0m"},
		{"ab\x1b[33mwarn\x1b[0m", 2, "ab\x1b[33m\x1b[0m"},
		{"▁▂▃▄▅", 3, "▁▂▃"},
		{"  ▁▂▃▄▅", 3, "  ▁"},
		{"x\x1b[", 1, "x\x1b["},
		{"", 5, ""},
	} {
		dst := append([]byte("prefix\n"), tc.line...)
		got := fitWidth(dst, len("prefix\n"), tc.cols)
		if string(got) != "prefix\n"+tc.want {
			t.Errorf("fitWidth(%q, %d) = %q, want %q", tc.line, tc.cols, got[len("prefix\n"):], tc.want)
		}
	}
}

// FuzzFitWidth: whatever the line, the result is a prefix of it (plus at
// most one reset), fits in cols, splits no rune that was whole.
func FuzzFitWidth(f *testing.F) {
	f.Add("\x1b[2K  cpu  ▁▂▃\x1b[31mhot\x1b[0m", 5)
	f.Add("\x1b[", 1)
	f.Add("ééé", 2)
	f.Fuzz(func(t *testing.T, line string, cols int) {
		cols %= 300
		got := fitWidth([]byte(line), 0, cols)
		body := bytes.TrimSuffix(got, []byte(ansiReset))
		if len(got) > len(line) && !bytes.HasPrefix(got, []byte(line)) {
			body = got[:len(got)-len(ansiReset)]
		}
		if !strings.HasPrefix(line, string(body)) {
			t.Fatalf("fitWidth(%q, %d) = %q: not a prefix", line, cols, got)
		}
		if cols > 0 && visibleWidth(body) > cols {
			t.Fatalf("fitWidth(%q, %d) = %q: %d columns", line, cols, got, visibleWidth(body))
		}
		if utf8.ValidString(line) && !utf8.Valid(got) {
			t.Fatalf("fitWidth(%q, %d) = %q split a rune", line, cols, got)
		}
	})
}

func TestQuitKey(t *testing.T) {
	for in, want := range map[string]bool{
		"q":         true,
		"Q":         true,
		"\x03":      true, // Ctrl-C when it is not a signal
		"\x04":      true, // Ctrl-D
		"xyzq":      true,
		"":          false,
		"x":         false,
		" \r\n":     false,
		"\x1b":      false, // Esc
		"\x1b[A":    false, // up arrow
		"\x1bOq":    false, // keypad 1 in application mode
		"\x1bq":     false, // Alt-q
		"\x1b[1;5q": false,
		"\x1b[Aq":   true, // an arrow, then q
		"\x1bOPq":   true, // F1, then q
		"\x1b[":     false,
	} {
		if got := quitKey([]byte(in)); got != want {
			t.Errorf("quitKey(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzQuitKey: never panics; input without ESC quits exactly when it
// holds q, Q, Ctrl-C or Ctrl-D; nothing without those bytes quits.
func FuzzQuitKey(f *testing.F) {
	f.Add([]byte("q"))
	f.Add([]byte("\x1b[Aq"))
	f.Add([]byte("\x1bO"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := quitKey(b)
		has := bytes.ContainsAny(b, "qQ\x03\x04")
		if !has && got {
			t.Fatalf("quitKey(%q) = true without a quit byte", b)
		}
		if !bytes.ContainsRune(b, 0x1b) && got != has {
			t.Fatalf("quitKey(%q) = %v, want %v", b, got, has)
		}
	})
}

// TestTableHistoryAndWidth: frames carry the sparklines, every line fits
// the terminal's width, and a change of width clears the screen.
func TestTableHistoryAndWidth(t *testing.T) {
	var out bytes.Buffer
	cols := 80
	v := &tableView{w: &out, caps: termCaps{colour: true, redraw: true}, interval: time.Second, loc: time.UTC, cols: func() int { return cols }, quitHint: true}
	for i := range 70 {
		s := fullSnap
		s.CPUPct = provider.Some(float64(i % 101))
		s.AvailableMemMB = provider.Some(uint64(i * 200))
		if i == 69 {
			s.CPUPct = provider.Opt[float64]{}
		}
		if err := v.show(s); err != nil {
			t.Fatal(err)
		}
	}
	last := lastFrame(out.String())
	lines := strings.Split(strings.TrimSuffix(last, "\n"), "\n")
	if len(lines) != tableLines {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), tableLines, last)
	}
	if !strings.HasSuffix(lines[0], "  q quits") {
		t.Errorf("header %q lacks the quit hint", lines[0])
	}
	// One minute at 1s: the newest 60 samples (CPU 10..68 %, then unknown),
	// CPU on 0..100 and available memory on 0..total.
	wantCPU := strings.Repeat("▁", 3) + strings.Repeat("▂", 12) + strings.Repeat("▃", 13) + strings.Repeat("▄", 12) + strings.Repeat("▅", 13) + strings.Repeat("▆", 6) + " "
	if cpu := strings.TrimPrefix(lines[2], ansiClearLn+strings.Repeat(" ", labelWidth)); cpu != wantCPU {
		t.Errorf("cpu sparkline\n %q\nwant %q", cpu, wantCPU)
	}
	// 2000..13800 MiB of 16000, 200 MiB a step: ten samples a level.
	wantAvail := strings.Repeat("▂", 10) + strings.Repeat("▃", 10) + strings.Repeat("▄", 10) + strings.Repeat("▅", 10) + strings.Repeat("▆", 10) + strings.Repeat("▇", 10)
	if avail := strings.TrimPrefix(lines[4], ansiClearLn+strings.Repeat(" ", labelWidth)); avail != wantAvail {
		t.Errorf("available sparkline\n %q\nwant %q", avail, wantAvail)
	}

	// A narrow terminal: a resize to 30 columns clears the screen, and no
	// line is wider than 30 columns.
	cols = 30
	out.Reset()
	if err := v.show(fullSnap); err != nil {
		t.Fatal(err)
	}
	frame := out.String()
	if !strings.HasPrefix(frame, ansiHome+ansiClearScreen) {
		t.Errorf("frame after a resize starts %q, want a cleared screen", frame[:min(20, len(frame))])
	}
	for _, l := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(frame, ansiHome+ansiClearScreen), "\n"), "\n") {
		if w := visibleWidth([]byte(l)); w > cols {
			t.Errorf("line %q is %d columns wide on a %d-column terminal", l, w, cols)
		}
	}
	// Same width again: redrawn in place, no clear.
	out.Reset()
	v.show(fullSnap)
	if !strings.HasPrefix(out.String(), "\x1b[9A") {
		t.Errorf("frame at an unchanged width starts %q, want a cursor-up", out.String()[:10])
	}
	// redraw (SIGWINCH) clears and adds nothing to the history.
	n := v.cpu.len()
	out.Reset()
	v.redraw()
	if !strings.HasPrefix(out.String(), ansiHome+ansiClearScreen) || v.cpu.len() != n {
		t.Errorf("redraw: %q, history %d -> %d", out.String()[:10], n, v.cpu.len())
	}
}

// lastFrame returns the text after the last redraw prefix of out.
func lastFrame(out string) string {
	if i := strings.LastIndex(out, "\x1b[9A"); i >= 0 {
		return out[i+len("\x1b[9A"):]
	}
	return out
}

// TestWatchLoopResize: a resize signal redraws the table at once, between
// ticks.
func TestWatchLoopResize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		e, stdout, _ := testEnv(ctx, nil)
		v := &tableView{w: e.stdout, caps: termCaps{redraw: true}, interval: time.Second, loc: time.UTC}
		resized := make(chan os.Signal, 1)
		status := make(chan int)
		go func() { status <- watchLoop(ctx, e, tickWatcher{clockProvider}, time.Second, v, resized) }()
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		resized <- os.Interrupt // any value: the loop only counts it
		synctest.Wait()
		if got := strings.Count(stdout.String(), ansiHome+ansiClearScreen); got != 1 {
			t.Errorf("%d clears after one resize, want 1", got)
		}
		if v.cpu.len() != 1 {
			t.Errorf("history holds %d samples, want 1 (a redraw adds none)", v.cpu.len())
		}
		cancel()
		if got := <-status; got != 0 {
			t.Errorf("status %d", got)
		}
	})
}

// TestWatchClampWarning: an interval below the minimum is clamped with one
// warning line on stderr in the CLI's warning form.
func TestWatchClampWarning(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"10ms", "restel: watch: --interval 10ms is below the minimum, clamped to 250ms\n"},
		{"0s", "restel: watch: --interval 0s is below the minimum, clamped to 250ms\n"},
		{"250ms", ""},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		cancel() // ends watch at once
		e, stdout, stderr := testEnv(ctx, nil)
		if got := realMain(e, []string{"watch", "--json", "--interval", tc.arg}); got != 0 || stdout.Len() != 0 || stderr.String() != tc.want {
			t.Errorf("--interval %s: status %d stdout %q stderr %q, want 0, nothing, %q", tc.arg, got, stdout, stderr, tc.want)
		}
	}
}
