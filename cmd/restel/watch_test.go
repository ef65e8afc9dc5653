package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

func TestParseWatchArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    watchConfig
		wantErr string
	}{
		{args: nil, want: watchConfig{interval: time.Second}},
		{args: []string{"--json"}, want: watchConfig{interval: time.Second, json: true}},
		{args: []string{"--interval", "2s"}, want: watchConfig{interval: 2 * time.Second}},
		{args: []string{"--interval=500ms", "--json"}, want: watchConfig{interval: 500 * time.Millisecond, json: true}},
		{args: []string{"--interval", "10ms"}, want: watchConfig{interval: 250 * time.Millisecond, clamped: true, requested: 10 * time.Millisecond}},
		{args: []string{"--interval", "0s"}, want: watchConfig{interval: 250 * time.Millisecond, clamped: true}},
		{args: []string{"--interval", "249ms"}, want: watchConfig{interval: 250 * time.Millisecond, clamped: true, requested: 249 * time.Millisecond}},
		{args: []string{"--interval", "250ms"}, want: watchConfig{interval: 250 * time.Millisecond}},
		{args: []string{"--interval", "-1s"}, wantErr: "negative --interval"},
		{args: []string{"--interval", "fast"}, wantErr: `invalid value "fast" for --interval`},
		{args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
		{args: []string{"--json", "--", "x"}, wantErr: `unexpected argument "x"`},
		{args: []string{"--colour"}, wantErr: "flag provided but not defined: --colour"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e, stdout, stderr := testEnv(context.Background(), nil)
			got, status, ok := parseWatchArgs(e, tc.args)
			if parsed := checkParsed(t, "watch", ok, status, stdout, stderr); parsed != (tc.wantErr == "") {
				t.Fatalf("parsed %v, want error %q", parsed, tc.wantErr)
			}
			if tc.wantErr != "" {
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Errorf("stderr %q does not contain %q", stderr, tc.wantErr)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTermCapsFrom(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want termCaps
	}{
		{nil, termCaps{colour: true, redraw: true}},
		{map[string]string{"TERM": "xterm-256color"}, termCaps{colour: true, redraw: true}},
		{map[string]string{"NO_COLOR": "1"}, termCaps{colour: false, redraw: true}},
		{map[string]string{"NO_COLOR": "false"}, termCaps{colour: false, redraw: true}}, // any non-empty value
		{map[string]string{"NO_COLOR": ""}, termCaps{colour: true, redraw: true}},
		{map[string]string{"TERM": "dumb"}, termCaps{}},
		{map[string]string{"TERM": "dumb", "NO_COLOR": "1"}, termCaps{}},
	} {
		if got := termCapsFrom(func(k string) string { return tc.vars[k] }); got != tc.want {
			t.Errorf("termCapsFrom(%v) = %+v, want %+v", tc.vars, got, tc.want)
		}
	}
}

// at is 2026-01-02 03:04:05.678 UTC.
var at = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)

var (
	fullSnap = provider.Snapshot{
		CPUPct:         provider.Some(12.345),
		ProcessRSSMB:   provider.Some[uint64](12),
		AvailableMemMB: provider.Some[uint64](1000),
		TotalMemMB:     provider.Some[uint64](16000),
		MemoryPressure: provider.MemoryPressureWarn,
		Thermal:        provider.ThermalHot,
		BatteryPct:     provider.Some[uint8](80),
		CapturedAtMS:   at.UnixMilli(),
	}
	emptySnap = provider.Unknown(at)
)

func TestTableFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		caps termCaps
		s    provider.Snapshot
		want string
	}{
		{"plain", termCaps{redraw: true}, fullSnap, "" +
			"\x1b[2Krestel watch  every 1s  03:04:05\n" +
			"\x1b[2K  cpu          12.3 %\n" +
			"\x1b[2K\n" +
			"\x1b[2K  memory       1000 MiB available of 16000 MiB\n" +
			"\x1b[2K\n" +
			"\x1b[2K  pressure     warn\n" +
			"\x1b[2K  thermal      hot\n" +
			"\x1b[2K  battery      80 %\n" +
			"\x1b[2K  restel rss   12 MiB\n"},
		{"colour", termCaps{colour: true, redraw: true}, fullSnap, "" +
			"\x1b[2Krestel watch  every 1s  03:04:05\n" +
			"\x1b[2K  cpu          12.3 %\n" +
			"\x1b[2K\n" +
			"\x1b[2K  memory       1000 MiB available of 16000 MiB\n" +
			"\x1b[2K\n" +
			"\x1b[2K  pressure     \x1b[33mwarn\x1b[0m\n" +
			"\x1b[2K  thermal      \x1b[31mhot\x1b[0m\n" +
			"\x1b[2K  battery      80 %\n" +
			"\x1b[2K  restel rss   12 MiB\n"},
		{"unknown colour", termCaps{colour: true, redraw: true}, emptySnap, "" +
			"\x1b[2Krestel watch  every 1s  03:04:05\n" +
			"\x1b[2K  cpu          -\n" +
			"\x1b[2K\n" +
			"\x1b[2K  memory       - available of -\n" +
			"\x1b[2K\n" +
			"\x1b[2K  pressure     unknown\n" +
			"\x1b[2K  thermal      normal\n" + // no sensor: the JSON says normal
			"\x1b[2K  battery      -\n" +
			"\x1b[2K  restel rss   -\n"},
		{"dumb", termCaps{}, fullSnap, "" +
			"restel watch  every 1s  03:04:05\n" +
			"  cpu          12.3 %\n" +
			"\n" +
			"  memory       1000 MiB available of 16000 MiB\n" +
			"\n" +
			"  pressure     warn\n" +
			"  thermal      hot\n" +
			"  battery      80 %\n" +
			"  restel rss   12 MiB\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &tableView{caps: tc.caps, interval: time.Second, loc: time.UTC}
			got := string(v.frame(nil, tc.s))
			if got != tc.want {
				t.Errorf("frame:\n got %q\nwant %q", got, tc.want)
			}
			if n := strings.Count(got, "\n"); n != tableLines {
				t.Errorf("frame has %d lines, want tableLines = %d", n, tableLines)
			}
		})
	}
}

// TestTableRedraw: the second frame moves the cursor up over the first one
// (redraw) or is separated by a blank line (TERM=dumb).
func TestTableRedraw(t *testing.T) {
	for _, tc := range []struct {
		caps   termCaps
		prefix string
	}{
		{termCaps{colour: true, redraw: true}, "\x1b[9A\x1b[2Krestel watch"},
		{termCaps{}, "\nrestel watch"},
	} {
		var out bytes.Buffer
		v := &tableView{w: &out, caps: tc.caps, interval: time.Second, loc: time.UTC}
		if err := v.show(fullSnap); err != nil {
			t.Fatal(err)
		}
		first := out.Len()
		if err := v.show(emptySnap); err != nil {
			t.Fatal(err)
		}
		if second := out.String()[first:]; !strings.HasPrefix(second, tc.prefix) {
			t.Errorf("caps %+v: second frame starts %q, want prefix %q", tc.caps, second[:min(len(second), 30)], tc.prefix)
		}
	}
}

func TestColours(t *testing.T) {
	for p, want := range map[provider.MemoryPressure]string{
		provider.MemoryPressureUnknown:  "",
		provider.MemoryPressureNormal:   ansiGreen,
		provider.MemoryPressureWarn:     ansiYellow,
		provider.MemoryPressureCritical: ansiBoldRed,
	} {
		if got := pressureColour(p); got != want {
			t.Errorf("pressureColour(%v) = %q, want %q", p, got, want)
		}
	}
	for th, want := range map[provider.ThermalState]string{
		provider.ThermalUnknown:  "",
		provider.ThermalNormal:   ansiGreen,
		provider.ThermalWarm:     ansiYellow,
		provider.ThermalHot:      ansiRed,
		provider.ThermalCritical: ansiBoldRed,
	} {
		if got := thermalColour(th); got != want {
			t.Errorf("thermalColour(%v) = %q, want %q", th, got, want)
		}
	}
}

func TestNDJSONView(t *testing.T) {
	var out bytes.Buffer
	v := &ndjsonView{w: &out}
	for _, s := range []provider.Snapshot{fullSnap, emptySnap} {
		if err := v.show(s); err != nil {
			t.Fatal(err)
		}
	}
	want := string(fullSnap.AppendJSON(nil)) + "\n" + string(emptySnap.AppendJSON(nil)) + "\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// tickWatcher is a stand-in for orchestrator.Monitor: CurrentSnapshot
// reads p, Watch sends one snapshot of p per interval on a channel closed
// when ctx is done.
type tickWatcher struct{ p provider.SnapshotProvider }

func (w tickWatcher) CurrentSnapshot(time.Duration) provider.Snapshot {
	s, _ := w.p.Snapshot(context.Background())
	return s
}

func (w tickWatcher) Watch(ctx context.Context, interval time.Duration) <-chan provider.Snapshot {
	ch := make(chan provider.Snapshot)
	go func() {
		defer close(ch)
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			s, _ := w.p.Snapshot(ctx)
			select {
			case ch <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// clockProvider returns snapshots stamped with the (bubble's) clock.
var clockProvider = provider.Func(func(context.Context) (provider.Snapshot, error) {
	s := fullSnap
	s.CapturedAtMS = time.Now().UnixMilli()
	return s, nil
})

// checkNDJSON parses every line of out as a provider.Snapshot and checks
// there are n of them, interval apart.
func checkNDJSON(t *testing.T, out string, n int, interval time.Duration) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	var prev int64
	lines := 0
	for sc.Scan() {
		var s provider.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %d %q: %v", lines+1, sc.Text(), err)
		}
		if lines > 0 && s.CapturedAtMS-prev != interval.Milliseconds() {
			t.Errorf("line %d captured %d ms after the previous one, want %d", lines+1, s.CapturedAtMS-prev, interval.Milliseconds())
		}
		prev = s.CapturedAtMS
		lines++
	}
	if lines != n {
		t.Errorf("%d lines, want %d:\n%s", lines, n, out)
	}
}

func TestWatchLoopNDJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 500 * time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		e, stdout, stderr := testEnv(ctx, nil)
		status := make(chan int)
		go func() {
			status <- watchLoop(ctx, e, tickWatcher{clockProvider}, interval, &ndjsonView{w: e.stdout}, nil)
		}()
		time.Sleep(5*interval + interval/2)
		synctest.Wait()
		cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
		if got := <-status; got != 0 {
			t.Errorf("status %d, want 0", got)
		}
		checkNDJSON(t, stdout.String(), 6, interval) // at 0, then 5 ticks
		if stderr.Len() != 0 {
			t.Errorf("stderr = %q", stderr)
		}
	})
}

// failWriter accepts ok writes, then fails every write with err.
type failWriter struct {
	ok  int
	err error
	bytes.Buffer
}

func (w *failWriter) Write(b []byte) (int, error) {
	if w.ok == 0 {
		return 0, w.err
	}
	w.ok--
	return w.Buffer.Write(b)
}

func TestWatchLoopWriteError(t *testing.T) {
	for _, tc := range []struct {
		ok         int // writes that succeed
		err        error
		wantStatus int
		wantStderr string
	}{
		{2, fmt.Errorf("write /dev/stdout: %w", syscall.EPIPE), 0, ""},
		{0, fmt.Errorf("write /dev/stdout: %w", syscall.EPIPE), 0, ""},
		{1, os.ErrClosed, 0, ""},
		{2, errors.New("disk full"), 1, "restel: watch: disk full\n"},
	} {
		t.Run(fmt.Sprint(tc.ok, tc.err), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e, _, stderr := testEnv(t.Context(), nil)
				w := &failWriter{ok: tc.ok, err: tc.err}
				// No cancel: the write error alone must end the loop.
				got := watchLoop(t.Context(), e, tickWatcher{clockProvider}, time.Second, &ndjsonView{w: w}, nil)
				if got != tc.wantStatus || stderr.String() != tc.wantStderr {
					t.Errorf("status %d stderr %q, want %d %q", got, stderr, tc.wantStatus, tc.wantStderr)
				}
				checkNDJSON(t, w.String(), tc.ok, time.Second)
			})
		})
	}
}

// TestWatchLoopCancelled: a context already done shows nothing.
func TestWatchLoopCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e, stdout, stderr := testEnv(ctx, nil)
	if got := watchLoop(ctx, e, tickWatcher{clockProvider}, time.Second, &ndjsonView{w: e.stdout}, nil); got != 0 {
		t.Errorf("status %d, want 0", got)
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("stdout %q stderr %q, want nothing", stdout, stderr)
	}
}

// TestTableShortTerminal: in a terminal shorter than the frame, the frame
// keeps its first lines, one fewer than the height, so it never scrolls
// the screen; moving up goes over exactly the lines drawn; a change of
// height clears the screen and draws afresh.
func TestTableShortTerminal(t *testing.T) {
	for _, tc := range []struct {
		rows, lines int
	}{
		{0, tableLines}, // unknown: no limit
		{1, 1},
		{2, 1},
		{5, 4},
		{tableLines, tableLines - 1},
		{tableLines + 1, tableLines},
		{50, tableLines},
	} {
		var out bytes.Buffer
		rows := tc.rows
		v := &tableView{w: &out, caps: termCaps{redraw: true}, interval: time.Second, loc: time.UTC,
			cols: func() int { return 80 }, rows: func() int { return rows }}
		if err := v.show(fullSnap); err != nil {
			t.Fatal(err)
		}
		first := out.String()
		if n := strings.Count(first, "\n"); n != tc.lines || !strings.HasPrefix(first, "\x1b[2Krestel watch") {
			t.Errorf("%d rows: first frame %d lines %q, want %d from the header", tc.rows, n, first, tc.lines)
		}
		if err := v.show(fullSnap); err != nil {
			t.Fatal(err)
		}
		second := out.String()[len(first):]
		if up := fmt.Sprintf("\x1b[%dA", tc.lines); !strings.HasPrefix(second, up) || strings.Count(second, "\n") != tc.lines {
			t.Errorf("%d rows: second frame %q, want %q then %d lines", tc.rows, second, up, tc.lines)
		}
	}
	// A resize to another height clears the screen first.
	var out bytes.Buffer
	rows := 5
	v := &tableView{w: &out, caps: termCaps{redraw: true}, interval: time.Second, loc: time.UTC, rows: func() int { return rows }}
	_ = v.show(fullSnap)
	first := out.Len()
	rows = 40
	_ = v.show(fullSnap)
	if second := out.String()[first:]; !strings.HasPrefix(second, ansiHome+ansiClearScreen) || strings.Count(second, "\n") != tableLines {
		t.Errorf("after a resize to 40 rows: %q", second)
	}
}
