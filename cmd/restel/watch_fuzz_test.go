package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
)

// FuzzParseWatchArgs: any command line either parses into an interval of
// at least 250ms, prints help (status 0), or is a one-line usage error
// with status 2 and nothing on stdout; it never panics.
func FuzzParseWatchArgs(f *testing.F) {
	f.Add("--interval\x001s")
	f.Add("--json\x00--interval=-5ms")
	f.Add("--interval\x0099999999999h")
	f.Add("--json\x00-h")
	f.Fuzz(func(t *testing.T, joined string) {
		e, stdout, stderr := testEnv(context.Background(), nil)
		cfg, status, ok := parseWatchArgs(e, strings.Split(joined, "\x00"))
		if !checkParsed(t, "watch", ok, status, stdout, stderr) {
			return
		}
		if cfg.interval < aggregate.MinInterval {
			t.Fatalf("interval %v below the minimum", cfg.interval)
		}
	})
}

// BenchmarkTableFrame: rendering a frame, with a full minute of history
// on an 80-column terminal, into a reused buffer does not allocate.
func BenchmarkTableFrame(b *testing.B) {
	v := &tableView{caps: termCaps{colour: true, redraw: true}, interval: time.Second, loc: time.UTC, drawn: true,
		cols: func() int { return 80 }, quitHint: true, w: io.Discard}
	for range historyLen(v.interval) {
		if err := v.show(fullSnap); err != nil {
			b.Fatal(err)
		}
	}
	buf := v.frame(nil, fullSnap)
	b.ReportAllocs()
	for b.Loop() {
		buf = v.frame(buf[:0], fullSnap)
	}
}

// BenchmarkNDJSONLine: encoding a snapshot line into a reused buffer does
// not allocate.
func BenchmarkNDJSONLine(b *testing.B) {
	var buf []byte
	s := fullSnap
	b.ReportAllocs()
	for b.Loop() {
		buf = append(s.AppendJSON(buf[:0]), '\n')
	}
}
