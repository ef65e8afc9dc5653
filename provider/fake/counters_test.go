package fake

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/provider"
)

// pcpu and the cumulative counters: a line sets what it names, - makes a
// value unknown, a counter may stay equal, and the snapshot carries them
// off the wire.
func TestParseProcessCPUAndCounters(t *testing.T) {
	tr := mustParse(t, `@0s pcpu=12.5 cpu_stall=1.5s mem_stall=0s io_stall=2ms throttled=10us
@1s pcpu=- cpu_stall=-
@2s cpu_stall=1.5s mem_stall=0s
@3s end
`)
	d := provider.Some[time.Duration]
	for _, tc := range []struct {
		at   time.Duration
		want State
	}{
		{0, State{Readings: provider.Snapshot{ProcessCPUPct: provider.Some(12.5), Counters: provider.Counters{CPUStall: d(1500 * time.Millisecond), MemoryStall: d(0), IOStall: d(2 * time.Millisecond), Throttled: d(10 * time.Microsecond)}}}},
		{time.Second, State{Readings: provider.Snapshot{Counters: provider.Counters{MemoryStall: d(0), IOStall: d(2 * time.Millisecond), Throttled: d(10 * time.Microsecond)}}}},
		{2 * time.Second, State{Readings: provider.Snapshot{Counters: provider.Counters{CPUStall: d(1500 * time.Millisecond), MemoryStall: d(0), IOStall: d(2 * time.Millisecond), Throttled: d(10 * time.Microsecond)}}}},
	} {
		if diff := cmp.Diff(tc.want, tr.At(tc.at)); diff != "" {
			t.Errorf("At(%v) (-want +got):\n%s", tc.at, diff)
		}
	}
	s := tr.At(0).Snapshot(time.UnixMilli(7))
	want := provider.Counters{CPUStall: d(1500 * time.Millisecond), MemoryStall: d(0), IOStall: d(2 * time.Millisecond), Throttled: d(10 * time.Microsecond)}
	if s.ProcessCPUPct != provider.Some(12.5) || s.Counters != want || s.CapturedAtMS != 7 {
		t.Errorf("snapshot %+v", s)
	}
	checkRoundTrip(t, tr)
	if got := tr.String(); !strings.Contains(got, "@0s pcpu=12.5 cpu_stall=1.5s mem_stall=0s io_stall=2ms throttled=10µs\n@1s pcpu=- cpu_stall=-\n") {
		t.Errorf("canonical form:\n%s", got)
	}
}

func TestNextChange(t *testing.T) {
	tr := mustParse(t, "@1s cpu=1\n@1s cpu=2\n@3s cpu=3\n@5s end\n")
	type r struct {
		next time.Duration
		ok   bool
	}
	for off, want := range map[time.Duration]r{
		0: {time.Second, true}, time.Second - 1: {time.Second, true}, time.Second: {3 * time.Second, true},
		3*time.Second - 1: {3 * time.Second, true}, 3 * time.Second: {0, false}, time.Hour: {0, false},
	} {
		next, ok := tr.NextChange(off)
		if (r{next, ok}) != want {
			t.Errorf("NextChange(%v) = %v %v, want %v", off, next, ok, want)
		}
		// Nothing changes in between.
		if ok && tr.At(off) != tr.At(next-1) {
			t.Errorf("At(%v) and At(%v) differ", off, next-1)
		}
	}
	if _, ok := (*Trace)(nil).NextChange(0); ok {
		t.Error("a nil trace changes")
	}
}

// repeat reads line forever, as `yes` writes it.
type repeat struct {
	line string
	off  int
}

func (r *repeat) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		c := copy(b[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// Parse never grows without end: endless input stops at a limit named in
// one line, and a trace of exactly MaxSize bytes is accepted.
func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    io.Reader
		want string
	}{
		{"endless events", &repeat{line: "@0s cpu=1\n"}, "more than 65536 event lines"},
		{"endless comments", &repeat{line: "# nothing to see\n"}, "trace larger than 16777216 bytes"},
		{"endless line", &repeat{line: "@0s cpu=1 "}, "line longer than 65536 bytes"},
		{"a line one byte too long", strings.NewReader("@0s cpu=1\n#" + strings.Repeat(" ", MaxLineLen) + "\n@1s end\n"), "in:2: line longer than 65536 bytes"},
		{"a last line one byte too long", strings.NewReader("@0s cpu=1\n#" + strings.Repeat(" ", MaxLineLen)), "in:2: line longer than 65536 bytes"},
		{"just over the size", strings.NewReader("@0s cpu=1\n" + strings.Repeat("#"+strings.Repeat(" ", 1022)+"\n", MaxSize/1024) + "#"), "trace larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("in", tc.r)
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse = %v, want one line containing %q", err, tc.want)
			}
		})
	}
	exact := "@0s cpu=1\n" + strings.Repeat("#"+strings.Repeat(" ", 1022)+"\n", MaxSize/1024-1)
	exact += "#" + strings.Repeat(" ", MaxSize-len(exact)-2) + "\n"
	if len(exact) != MaxSize {
		t.Fatalf("built %d bytes", len(exact))
	}
	if _, err := Parse("exact", strings.NewReader(exact)); err != nil {
		t.Errorf("a trace of exactly MaxSize bytes: %v", err)
	}
	// A line of exactly MaxLineLen bytes is accepted, whatever ends it.
	long := "#" + strings.Repeat(" ", MaxLineLen-1)
	for _, in := range []string{"@0s cpu=1\n" + long + "\n@1s end\n", "@0s cpu=1\r\n" + long + "\r\n", "@0s cpu=1\n" + long} {
		if _, err := Parse("long", strings.NewReader(in)); err != nil {
			t.Errorf("a line of exactly MaxLineLen bytes (%q ending): %v", in[len(in)-2:], err)
		}
	}
}
