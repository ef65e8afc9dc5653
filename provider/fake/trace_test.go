package fake

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

func mustParse(t *testing.T, src string) *Trace {
	t.Helper()
	tr, err := Parse("t.trace", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tr
}

func TestParseContractExample(t *testing.T) {
	// The example of docs/contract.md §5, verbatim.
	tr := mustParse(t, `# comment; blank lines ignored
@0s    cpu=12.5 rss=100 avail=8000 total=16000 thermal=normal battery=80
@250ms cpu=90 rss=500 avail=1000 thermal=hot
@600ms error=sysfs read failed
@900ms cpu=- battery=78
@1.2s  end
`)
	first := State{Readings: provider.Snapshot{CPUPct: provider.Some(12.5), ProcessRSSMB: provider.Some[uint64](100), AvailableMemMB: provider.Some[uint64](8000), TotalMemMB: provider.Some[uint64](16000), Thermal: provider.ThermalNormal, BatteryPct: provider.Some[uint8](80)}}
	second := first
	second.Readings.CPUPct, second.Readings.ProcessRSSMB, second.Readings.AvailableMemMB, second.Readings.Thermal = provider.Some(90.0), provider.Some[uint64](500), provider.Some[uint64](1000), provider.ThermalHot
	failing := second
	failing.Err = "sysfs read failed"
	last := second
	last.Readings.CPUPct, last.Readings.BatteryPct = provider.Opt[float64]{}, provider.Some[uint8](78)
	for _, tc := range []struct {
		at   time.Duration
		want State
	}{
		{-time.Nanosecond, State{}},
		{0, first},
		{249 * time.Millisecond, first},
		{250 * time.Millisecond, second},
		{599 * time.Millisecond, second},
		{600 * time.Millisecond, failing},
		{899 * time.Millisecond, failing},
		{900 * time.Millisecond, last},
		{1200 * time.Millisecond, last},
		{time.Hour, last},
	} {
		if diff := cmp.Diff(tc.want, tr.At(tc.at)); diff != "" {
			t.Errorf("At(%v) (-want +got):\n%s", tc.at, diff)
		}
	}
	if got, want := tr.End(), 1200*time.Millisecond; got != want {
		t.Errorf("End = %v, want %v", got, want)
	}
	// avail 1000 of 16000 is 6.25 %: warn, derived.
	if got := tr.At(300 * time.Millisecond).Snapshot(time.UnixMilli(300)); got.MemoryPressure != provider.MemoryPressureWarn || got.CapturedAtMS != 300 {
		t.Errorf("Snapshot = %+v, want warn pressure captured at 300", got)
	}
}

func TestParseRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		at   time.Duration
		want State
		end  time.Duration
	}{
		{
			name: "end defaults to last line",
			src:  "@0s cpu=1\n@2s cpu=2\n",
			at:   3 * time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(2.0)}}, end: 2 * time.Second,
		},
		{
			name: "before first line is all unknown",
			src:  "@1s cpu=1\n@2s end\n",
			at:   999 * time.Millisecond, want: State{}, end: 2 * time.Second,
		},
		{
			name: "same offset: last line wins",
			src:  "@0s cpu=1\n@1s cpu=2\n@1s cpu=3 battery=4\n",
			at:   time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(3.0), BatteryPct: provider.Some[uint8](4)}}, end: time.Second,
		},
		{
			name: "delay persists until changed",
			src:  "@0s cpu=1 delay=300ms\n@1s cpu=2\n@2s end",
			at:   1500 * time.Millisecond, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(2.0)}, Delay: 300 * time.Millisecond}, end: 2 * time.Second,
		},
		{
			name: "delay=0s clears",
			src:  "@0s delay=1s\n@1s delay=0s\n",
			at:   time.Second, want: State{}, end: time.Second,
		},
		{
			name: "delay-only line ends an error span",
			src:  "@0s cpu=5\n@1s error=boom\n@2s delay=10ms\n",
			at:   2 * time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(5.0)}, Delay: 10 * time.Millisecond}, end: 2 * time.Second,
		},
		{
			name: "keys before error= apply and show after the span",
			src:  "@0s cpu=5\n@1s cpu=50 delay=1ms error=EC timeout # not a comment\n@2s battery=9\n",
			at:   2 * time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(50.0), BatteryPct: provider.Some[uint8](9)}, Delay: time.Millisecond}, end: 2 * time.Second,
		},
		{
			name: "error text is the rest of the line, verbatim",
			src:  "@0s cpu=5\n@1s\terror=  EC  timeout # not a comment  \n",
			at:   time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(5.0)}, Err: "EC  timeout # not a comment"}, end: time.Second,
		},
		{
			name: "consecutive error lines replace the text",
			src:  "@0s error=a\n@1s error=b\n",
			at:   time.Second, want: State{Err: "b"}, end: time.Second,
		},
		{
			name: "dash means unknown for every reading",
			src:  "@0s cpu=1 rss=2 avail=3 total=4 thermal=hot battery=5 pressure=warn\n@1s cpu=- rss=- avail=- total=- thermal=- battery=- pressure=-\n",
			at:   time.Second, want: State{}, end: time.Second,
		},
		{
			name: "trailing comments, tabs, CRLF, leading spaces",
			src:  "  # header\r\n\t@0s\tcpu=0 rss=0 avail=0 total=1 battery=0 # all the zeros that are real\r\n  @1.5s   end   # done\r\n\r\n# trailer\n",
			at:   time.Second,
			want: State{Readings: provider.Snapshot{CPUPct: provider.Some(0.0), ProcessRSSMB: provider.Some[uint64](0), AvailableMemMB: provider.Some[uint64](0), TotalMemMB: provider.Some[uint64](1), BatteryPct: provider.Some[uint8](0)}},
			end:  1500 * time.Millisecond,
		},
		{
			name: "edges of the ranges",
			src:  "@0s cpu=100 battery=100 total=1099511627776 avail=1099511627776 pressure=unknown\n@0s cpu=0.000001\n",
			at:   0,
			want: State{Readings: provider.Snapshot{CPUPct: provider.Some(0.000001), BatteryPct: provider.Some[uint8](100), TotalMemMB: provider.Some[uint64](MaxMiB), AvailableMemMB: provider.Some[uint64](MaxMiB)}},
		},
		{
			name: "100 exactly, written with zeros",
			src:  "@0s cpu=0100.000000000000000000000000 pcpu=100.0\n",
			at:   0, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(100.0), ProcessCPUPct: provider.Some(100.0)}},
		},
		{
			name: "below 100 by less than a float64 can tell",
			src:  "@0s cpu=99.9999999999999999999999 pcpu=0.0000000000000000000000000000001\n",
			at:   0, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(100.0), ProcessCPUPct: provider.Some(1e-31)}},
		},
		{
			name: "end at the same offset as the last line",
			src:  "@0s cpu=1\n@1s cpu=2\n@1s end\n",
			at:   time.Second, want: State{Readings: provider.Snapshot{CPUPct: provider.Some(2.0)}}, end: time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := mustParse(t, tc.src)
			if diff := cmp.Diff(tc.want, tr.At(tc.at)); diff != "" {
				t.Errorf("At(%v) (-want +got):\n%s", tc.at, diff)
			}
			if got := tr.End(); got != tc.end {
				t.Errorf("End = %v, want %v", got, tc.end)
			}
		})
	}
}

// malformedTraces are traces that must not parse, each with the line the
// error must name. The cmd/restel tests use the same kinds of cases.
var malformedTraces = []struct {
	name string
	src  string
	line int
	msg  string // a fragment the message must contain
}{
	{"empty", "", 1, "no events"},
	{"only comments", "# nothing\n\n# here\n", 3, "no events"},
	{"only end", "# x\n@0s end\n", 2, "no events before"},
	{"missing @", "0s cpu=1\n", 1, "must start with @OFFSET"},
	{"key first", "@0s cpu=1\ncpu=2\n", 2, "must start with @OFFSET"},
	{"bare @", "@ cpu=1\n", 1, "bad offset"},
	{"offset without unit", "@0s cpu=1\n@250 cpu=2\n", 2, "bad offset"},
	{"negative offset", "@-1s cpu=1\n", 1, "negative offset"},
	{"decreasing offset", "@0s cpu=1\n@2s cpu=2\n# c\n@1s cpu=3\n", 4, "never decrease"},
	{"decreasing after end offset", "@0s cpu=1\n@1s cpu=2\n@500ms end\n", 3, "never decrease"},
	{"no keys", "@0s cpu=1\n@1s\n", 2, "nothing after"},
	{"no keys but a comment", "@0s cpu=1\n@1s # hm\n", 2, "nothing after"},
	{"unknown key", "@0s cpu=1\n@1s gpu=50\n", 2, `unknown key "gpu"`},
	{"key case matters", "@0s CPU=1\n", 1, `unknown key "CPU"`},
	{"not key=value", "@0s cpu=1 hot\n", 1, `want KEY=VALUE, got "hot"`},
	{"space around =", "@0s cpu = 1\n", 1, "want KEY=VALUE"},
	{"duplicate key", "@0s cpu=1 rss=2 cpu=3\n", 1, `duplicate key "cpu"`},
	{"bad cpu", "@0s cpu=high\n", 1, "bad cpu"},
	{"cpu with percent sign", "@0s cpu=50%\n", 1, "bad cpu"},
	{"negative cpu", "@0s cpu=-5\n", 1, "bad cpu"},
	{"cpu NaN", "@0s cpu=NaN\n", 1, "bad cpu"},
	{"cpu Inf", "@0s cpu=Inf\n", 1, "bad cpu"},
	{"cpu exponent", "@0s cpu=1e2\n", 1, "bad cpu"},
	{"cpu above 100", "@0s cpu=100.5\n", 1, "outside [0, 100]"},
	{"cpu empty", "@0s cpu=\n", 1, "bad cpu"},
	{"cpu above 100 below float precision", "@0s cpu=100.0000000000000000001\n", 1, "cpu 100.0000000000000000001 outside [0, 100]"},
	{"cpu above 100 at float precision", "@0s cpu=100.00000000000001\n", 1, "outside [0, 100]"},
	{"cpu 101", "@0s cpu=101\n", 1, "outside [0, 100]"},
	{"cpu 1000 with leading zeros", "@0s cpu=0001000\n", 1, "outside [0, 100]"},
	{"cpu of 400 digits", "@0s cpu=" + strings.Repeat("9", 400) + "\n", 1, "outside [0, 100]"},
	{"pcpu above 100 below float precision", "@0s pcpu=100.000000000000000000000000001\n", 1, "pcpu 100.000000000000000000000000001 outside"},
	{"fractional rss", "@0s rss=1.5\n", 1, "bad rss"},
	{"negative avail", "@0s avail=-1 total=10\n", 1, "bad avail"},
	{"signed total", "@0s total=+10\n", 1, "bad total"},
	{"total zero", "@0s total=0\n", 1, "total=0"},
	{"huge rss", "@0s rss=1099511627777\n", 1, "rss 1099511627777 above"},
	{"overflowing rss", "@0s rss=99999999999999999999999\n", 1, "above"},
	{"avail above total", "@0s avail=10 total=20\n@1s avail=30\n", 2, "avail 30 MiB exceeds total 20 MiB"},
	{"total below avail", "@0s avail=10 total=20\n@1s cpu=1\n@2s total=5\n", 3, "exceeds total"},
	{"gpu_mem above gpu_total", "@0s gpu_mem=10 gpu_total=20\n@1s gpu_mem=30\n", 2, "gpu_mem 30 MiB exceeds gpu_total 20 MiB"},
	{"gpu_total below gpu_mem", "@0s gpu_mem=10 gpu_total=20\n@1s gpu_busy=1\n@2s gpu_total=5\n", 3, "exceeds gpu_total"},
	{"gpu_total zero", "@0s gpu_total=0\n", 1, "gpu_total=0"},
	{"gpu_busy above 100", "@0s gpu_busy=100.5\n", 1, "outside [0, 100]"},
	{"fractional pgpu_mem", "@0s pgpu_mem=1.5\n", 1, "bad pgpu_mem"},
	{"battery above 100", "@0s battery=80\n@1s battery=101\n", 2, "battery 101 above 100"},
	{"fractional battery", "@0s battery=50.5\n", 1, "bad battery"},
	{"bad thermal", "@0s thermal=toasty\n", 1, `bad thermal "toasty"`},
	{"thermal unknown word", "@0s thermal=unknown\n", 1, "bad thermal"},
	{"bad pressure", "@0s pressure=high\n", 1, `bad pressure "high"`},
	{"bad delay", "@0s delay=300\n", 1, "bad delay"},
	{"negative delay", "@0s delay=-1s\n", 1, "negative delay"},
	{"dash delay", "@0s delay=-\n", 1, "delay=-"},
	{"empty error", "@0s cpu=1\n@1s error=\n", 2, "error= needs a message"},
	{"blank error", "@0s cpu=1\n@1s error=   \n", 2, "error= needs a message"},
	{"end with keys", "@0s cpu=1\n@1s end cpu=2\n", 2, "end must be alone"},
	{"keys then end", "@0s cpu=1\n@1s cpu=2 end\n", 2, "end must be alone"},
	{"line after end", "@0s cpu=1\n@1s end\n\n# fine\n@2s cpu=2\n", 5, "event after end (line 2)"},
	{"second end", "@0s cpu=1\n@1s end\n@1s end\n", 3, "event after end"},
	{"too long", "@0s cpu=1\n@1s error=" + strings.Repeat("x", MaxLineLen) + "\n", 2, "line longer than"},
	{"pcpu above 100", "@0s pcpu=100.01\n", 1, "pcpu 100.01 outside [0, 100]"},
	{"negative pcpu", "@0s pcpu=-1\n", 1, "bad pcpu"},
	{"pcpu NaN", "@0s pcpu=NaN\n", 1, "bad pcpu"},
	{"counter without unit", "@0s cpu_stall=1000\n", 1, "bad cpu_stall"},
	{"negative counter", "@0s mem_stall=-1s\n", 1, "negative mem_stall"},
	{"decreasing counter", "@0s io_stall=2s\n@1s io_stall=1.5s\n", 2, "io_stall=1.5s is below its earlier value 2s"},
	{"decreasing across an unknown span", "@0s throttled=2s\n@1s throttled=-\n@2s throttled=1s\n", 3, "throttled=1s is below"},
	{"decreasing on one line's offset", "@0s cpu_stall=5s\n@0s cpu_stall=4s\n", 2, "cpu_stall=4s is below"},
	{"too many events", strings.Repeat("@0s cpu=1\n", MaxEvents+1), MaxEvents + 1, "more than 65536 event lines"},
}

func TestParseMalformed(t *testing.T) {
	for _, tc := range malformedTraces {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Parse("bad.trace", strings.NewReader(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; trace:\n%s", tr)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("errors.Is(%v, ErrSyntax) = false", err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if se.Line != tc.line || se.Name != "bad.trace" {
				t.Errorf("error at %s:%d, want bad.trace:%d (%v)", se.Name, se.Line, tc.line, err)
			}
			prefix := "bad.trace:" + strconv.Itoa(tc.line) + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting %q containing %q", msg, prefix, tc.msg)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := Parse("r.trace", iotest.ErrReader(boom))
	if !errors.Is(err, boom) || errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "r.trace: ") {
		t.Errorf("Parse(failing reader) = %v, want r.trace: wrapping %v and not ErrSyntax", err, boom)
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.trace")
	if err := os.WriteFile(path, []byte("@0s cpu=1\n@1s thermal=lukewarm\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2: ") {
		t.Errorf("ParseFile = %v, want an error prefixed %s:2:", err, path)
	}
	_, err = ParseFile(filepath.Join(dir, "missing.trace"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v, want fs.ErrNotExist", err)
	}
	// A directory opens but cannot be read: the error names it once and
	// says so in the same words on every OS.
	_, err = ParseFile(dir)
	if err == nil || errors.Is(err, ErrSyntax) || strings.Count(err.Error(), dir) != 1 ||
		!errors.Is(err, syscall.EISDIR) || !strings.HasSuffix(err.Error(), ": is a directory") {
		t.Errorf("ParseFile(dir) = %v, want a read error naming %s once, ending \"is a directory\"", err, dir)
	}
}

func TestNilTrace(t *testing.T) {
	var tr *Trace
	if tr.End() != 0 || tr.At(time.Second) != (State{}) || tr.String() != "" {
		t.Errorf("nil trace: End %v, At %+v, String %q", tr.End(), tr.At(time.Second), tr.String())
	}
}

func TestStringRoundTrip(t *testing.T) {
	src := `# a story
@0s cpu=12.5 rss=100 avail=8000 total=16000 thermal=normal battery=80 pressure=warn
@250ms cpu=- delay=1.5s   # slow
@600ms rss=7 error=sysfs # read failed
@1m30s thermal=- pressure=- delay=0s
@2m end
`
	tr := mustParse(t, src)
	want := "@0s cpu=12.5 rss=100 avail=8000 total=16000 pressure=warn thermal=normal battery=80\n" +
		"@250ms cpu=- delay=1.5s\n" +
		"@600ms rss=7 error=sysfs # read failed\n" +
		"@1m30s pressure=unknown thermal=- delay=0s\n" +
		"@2m0s end\n"
	if diff := cmp.Diff(want, tr.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	checkRoundTrip(t, tr)
}

// checkRoundTrip checks that the canonical form of tr parses to a trace
// describing the same run.
func checkRoundTrip(t *testing.T, tr *Trace) {
	t.Helper()
	again, err := Parse(tr.Name, strings.NewReader(tr.String()))
	if err != nil {
		t.Fatalf("re-parsing the canonical form failed: %v\n%s", err, tr)
	}
	if diff := cmp.Diff(points(tr), points(again)); diff != "" {
		t.Errorf("canonical form describes another run (-first +again):\n%s", diff)
	}
	if again.String() != tr.String() {
		t.Errorf("canonical form is not stable:\n%s\nvs\n%s", tr, again)
	}
}

type point struct {
	At    time.Duration
	Named []bool
	State State
}

// points is what a trace says, without line numbers.
func points(tr *Trace) []any {
	var ps []any
	for _, ev := range tr.events {
		ps = append(ps, point{ev.at, ev.named, ev.state})
	}
	return append(ps, tr.End(), tr.hasEnd)
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "scripts", "*.trace"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, tc := range malformedTraces {
		if len(tc.src) < 1024 {
			f.Add(tc.src)
		}
	}
	for _, tc := range malformedCapacity {
		if len(tc.src) < 1024 {
			f.Add(tc.src)
		}
	}
	f.Add("@0s cpu=1 error=x # y\n@0s delay=1ns\n@1h end # z")
	f.Add("@0s temp.a=-39.5 severe.a=150 cpus=0.001 throttling=true\n@1s temp.a=- temp.b/c=1 severe.b/c=2 error=e\n")
	f.Fuzz(func(t *testing.T, src string) {
		tr, err := Parse("fuzz.trace", strings.NewReader(src))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("non-syntax error from an in-memory reader: %v", err)
			}
			if lines := strings.Count(src, "\n") + 1; se.Line < 1 || se.Line > lines+1 {
				t.Fatalf("error names line %d of a %d-line input: %v", se.Line, lines, err)
			}
			return
		}
		if len(tr.events) == 0 {
			t.Fatal("a trace with no events parsed")
		}
		var prev time.Duration
		var high [4]time.Duration
		for i, ev := range tr.events {
			if ev.at < prev {
				t.Fatalf("event %d at %v before %v", i, ev.at, prev)
			}
			prev = ev.at
			checkState(t, ev.state)
			st := ev.state
			for j, c := range []provider.Opt[time.Duration]{st.Readings.Counters.CPUStall, st.Readings.Counters.MemoryStall, st.Readings.Counters.IOStall, st.Readings.Counters.Throttled} {
				if c.Valid && c.V < high[j] {
					t.Fatalf("counter %d decreased to %v after %v", j, c.V, high[j])
				}
				if c.Valid {
					high[j] = c.V
				}
			}
			if got := tr.At(ev.at); i == len(tr.events)-1 || tr.events[i+1].at != ev.at {
				if got != ev.state {
					t.Fatalf("At(%v) = %+v, want the state after line %d %+v", ev.at, got, ev.line, ev.state)
				}
			}
		}
		if tr.End() < prev {
			t.Fatalf("End %v before the last offset %v", tr.End(), prev)
		}
		if tr.At(-1) != (State{}) {
			t.Fatalf("At(-1) = %+v, want all unknown", tr.At(-1))
		}
		checkRoundTrip(t, tr)
	})
}

// checkState checks that a parsed state holds only valid readings.
func checkState(t *testing.T, st State) {
	t.Helper()
	s := &st.Readings
	if s.CPUPct.Valid && !(s.CPUPct.V >= 0 && s.CPUPct.V <= 100) {
		t.Fatalf("cpu %v out of range", s.CPUPct.V)
	}
	if s.BatteryPct.Valid && s.BatteryPct.V > 100 {
		t.Fatalf("battery %d above 100", s.BatteryPct.V)
	}
	if s.TotalMemMB.Valid && s.TotalMemMB.V == 0 {
		t.Fatal("total 0 accepted")
	}
	if s.AvailableMemMB.Valid && s.TotalMemMB.Valid && s.AvailableMemMB.V > s.TotalMemMB.V {
		t.Fatalf("avail %d above total %d", s.AvailableMemMB.V, s.TotalMemMB.V)
	}
	if s.ProcessCPUPct.Valid && !(s.ProcessCPUPct.V >= 0 && s.ProcessCPUPct.V <= 100) {
		t.Fatalf("pcpu %v out of range", s.ProcessCPUPct.V)
	}
	for _, c := range []provider.Opt[time.Duration]{s.Counters.CPUStall, s.Counters.MemoryStall, s.Counters.IOStall, s.Counters.Throttled} {
		if c.Valid && c.V < 0 {
			t.Fatalf("negative counter %v", c.V)
		}
	}
	if s.Thermal > provider.ThermalCritical || s.MemoryPressure > provider.MemoryPressureCritical || st.Delay < 0 {
		t.Fatalf("bad enum or delay: %+v", st)
	}
	if c := st.Capacity; c != nil {
		if c.CPUs.Valid && !(c.CPUs.V > 0 && c.CPUs.V <= MaxCPUs) {
			t.Fatalf("cpus %v out of range", c.CPUs.V)
		}
		if len(c.Sensors) > MaxSensors {
			t.Fatalf("%d sensors", len(c.Sensors))
		}
		for _, sn := range c.Sensors {
			for _, v := range []provider.Opt[float64]{sn.Celsius, sn.SevereC} {
				if v.Valid && !(v.V > -40 && v.V <= 150) {
					t.Fatalf("sensor %s: %v °C out of range", sn.Name, v.V)
				}
			}
			if sn.Celsius.Valid && !sn.SevereC.Valid {
				t.Fatalf("sensor %s has a temperature and no severe threshold", sn.Name)
			}
		}
	}
}

// FuzzPercentInRange: the digit-wise range check of cpu= and pcpu= agrees
// with exact rational arithmetic on every plain decimal.
func FuzzPercentInRange(f *testing.F) {
	for _, s := range []string{"0", "100", "100.0", "100.0000000000000000001", "100.00000000000001",
		"99.99999999999999999", "0100", "1000", "101", "00000.5", "9"} {
		f.Add(s)
	}
	hundred := big.NewRat(100, 1)
	f.Fuzz(func(t *testing.T, s string) {
		if !isDecimal(s) {
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read the plain decimal %q", s)
		}
		if got, want := percentInRange(s), r.Cmp(hundred) <= 0; got != want {
			t.Fatalf("percentInRange(%q) = %v, want %v", s, got, want)
		}
	})
}
