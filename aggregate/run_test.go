package aggregate_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

func d(v time.Duration) provider.Opt[time.Duration] { return provider.Some(v) }

// at returns s captured at ms.
func at(ms int64, s provider.Snapshot) provider.Snapshot { s.CapturedAtMS = ms; return s }

// busy returns s with device CPU counters busy/total.
func busy(s provider.Snapshot, b, t time.Duration) provider.Snapshot {
	s.Counters.CPUBusy, s.Counters.CPUTotal = d(b), d(t)
	return s
}

// The CPU of a run, computed by hand: the start snapshot's cpu never
// counts; each interval takes the busy/total counters of its two ends when
// both are known, else the later snapshot's cpu; the average is weighted
// by the intervals' durations and the peak is the busiest interval.
func TestCPUOverRun(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		snaps     []provider.Snapshot
		avg, peak provider.Opt[float64]
	}{
		{"boundary run: the end snapshot's cpu only", []provider.Snapshot{
			at(0, provider.Snapshot{CPUPct: f(90)}), at(2000, provider.Snapshot{CPUPct: f(10)}),
		}, f(10), f(10)},
		{"a single snapshot has no interval", []provider.Snapshot{at(0, provider.Snapshot{CPUPct: f(90)})}, provider.Opt[float64]{}, provider.Opt[float64]{}},
		{"counters beat cpu_pct; cpu_pct where a counter is missing", []provider.Snapshot{
			busy(at(0, provider.Snapshot{CPUPct: f(99)}), 10*s, 100*s),
			busy(at(1000, provider.Snapshot{CPUPct: f(5)}), 15*s, 110*s), // (15-10)/(110-100) = 50
			at(2000, provider.Snapshot{CPUPct: f(70)}),                   // no counters: 70
			busy(at(3000, provider.Snapshot{}), 20*s, 120*s),             // previous end has no counters, no cpu: unknown
		}, f(60), f(70)}, // (50·1000 + 70·1000) / 2000
		{"counters going backwards fall back to cpu_pct", []provider.Snapshot{
			busy(at(0, provider.Snapshot{}), 10*s, 100*s),
			busy(at(1000, provider.Snapshot{CPUPct: f(25)}), 9*s, 90*s),
		}, f(25), f(25)},
		{"busy shrinking falls back to cpu_pct", []provider.Snapshot{
			busy(at(0, provider.Snapshot{}), 10*s, 100*s),
			busy(at(1000, provider.Snapshot{CPUPct: f(25)}), 9*s, 110*s),
		}, f(25), f(25)},
		{"no total growth falls back to cpu_pct", []provider.Snapshot{
			busy(at(0, provider.Snapshot{}), 10*s, 100*s),
			busy(at(1000, provider.Snapshot{}), 10*s, 100*s),
		}, provider.Opt[float64]{}, provider.Opt[float64]{}},
		{"an error span: all-unknown samples are unknown intervals", []provider.Snapshot{
			at(0, provider.Snapshot{CPUPct: f(10)}),
			at(250, provider.Snapshot{}), at(500, provider.Snapshot{}),
			at(750, provider.Snapshot{CPUPct: f(40)}),
			at(1000, provider.Snapshot{CPUPct: f(20)}),
		}, f(30), f(40)}, // (40·250 + 20·250) / 500
		{"a short last interval weighs less", []provider.Snapshot{
			at(0, provider.Snapshot{CPUPct: f(0)}),
			at(250, provider.Snapshot{CPUPct: f(80)}), at(500, provider.Snapshot{CPUPct: f(80)}),
			at(600, provider.Snapshot{CPUPct: f(20)}),
		}, f(70), f(80)}, // (80·500 + 20·100) / 600
		{"zero-duration intervals beside timed ones weigh nothing", []provider.Snapshot{
			at(0, provider.Snapshot{}), at(1000, provider.Snapshot{CPUPct: f(40)}), at(1000, provider.Snapshot{CPUPct: f(100)}),
		}, f(40), f(100)},
		{"a clock going backwards gives a zero-length interval", []provider.Snapshot{
			at(5000, provider.Snapshot{}), at(4000, provider.Snapshot{CPUPct: f(90)}), at(6000, provider.Snapshot{CPUPct: f(30)}),
		}, f(30), f(90)},
		{"out-of-range cpu is clamped, NaN is unknown", []provider.Snapshot{
			at(0, provider.Snapshot{}), at(1000, provider.Snapshot{CPUPct: f(250)}), at(2000, provider.Snapshot{CPUPct: f(math.NaN())}),
		}, f(100), f(100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a aggregate.Aggregator
			for _, s := range tt.snaps {
				a.Observe(s)
			}
			got := a.Usage(aggregate.SummaryEvery(0))
			if diff := cmp.Diff([]any{tt.avg, tt.peak}, []any{got.CPUAvgPct, got.CPUPeakPct}); diff != "" {
				t.Errorf("avg, peak (-want +got):\n%s", diff)
			}
		})
	}
}

// The extension fields, computed by hand.
func TestExtensionFields(t *testing.T) {
	ms, s := time.Millisecond, time.Second
	start := provider.Snapshot{CapturedAtMS: 10_000, ProcessRSSMB: u(250), Counters: provider.Counters{
		CPUTotal: d(100 * s), ProcessCPU: d(1 * s),
		CPUStall: d(1000500 * time.Microsecond), MemoryStall: provider.Opt[time.Duration]{},
		IOStall: d(7 * s), Throttled: d(40 * ms), RSSHighWaterMB: u(100),
	}}
	end := provider.Snapshot{CapturedAtMS: 12_500, ProcessRSSMB: u(200), Counters: provider.Counters{
		CPUTotal: d(108 * s), ProcessCPU: d(3 * s),
		CPUStall: d(3200 * ms), MemoryStall: d(5 * s),
		IOStall: d(6 * s), Throttled: d(40 * ms), RSSHighWaterMB: u(400),
	}}
	tests := []struct {
		name  string
		snaps []provider.Snapshot
		want  aggregate.Usage // only the extension fields and the rss peak
	}{
		{"counters at both ends", []provider.Snapshot{start, end}, aggregate.Usage{
			DurationMS:       u(2500),
			ProcessCPUPct:    f(25), // 100 · (3s − 1s) / (108s − 100s)
			CPUStallMS:       u(2199),
			MemoryStallMS:    provider.Opt[uint64]{}, // unknown at the start
			IOStallMS:        provider.Opt[uint64]{}, // went backwards
			CPUThrottledMS:   u(0),
			ProcessRSSPeakMB: u(400), // the high-water mark grew during the run
		}},
		{"a high-water mark that did not grow does not count", []provider.Snapshot{start,
			func() provider.Snapshot { e := end; e.Counters.RSSHighWaterMB = u(100); return e }()},
			aggregate.Usage{DurationMS: u(2500), ProcessCPUPct: f(25), CPUStallMS: u(2199), CPUThrottledMS: u(0), ProcessRSSPeakMB: u(250)}},
		{"a high-water mark unknown at the start counts", []provider.Snapshot{
			func() provider.Snapshot { s := start; s.Counters.RSSHighWaterMB = provider.Opt[uint64]{}; return s }(), end},
			aggregate.Usage{DurationMS: u(2500), ProcessCPUPct: f(25), CPUStallMS: u(2199), CPUThrottledMS: u(0), ProcessRSSPeakMB: u(400)}},
		{"unknown counters: process cpu from pcpu, weighted; stalls null", []provider.Snapshot{
			{CapturedAtMS: 0, ProcessCPUPct: f(99)}, // the start's never counts
			{CapturedAtMS: 1000, ProcessCPUPct: f(10)},
			{CapturedAtMS: 2000},
			{CapturedAtMS: 3000, ProcessCPUPct: f(30)},
		}, aggregate.Usage{DurationMS: u(3000), ProcessCPUPct: f(20)}}, // (10·1000 + 30·1000) / 2000
		{"a clock going backwards: no duration", []provider.Snapshot{{CapturedAtMS: 5000}, {CapturedAtMS: 3000}},
			aggregate.Usage{}},
		{"nothing observed", nil, aggregate.Usage{}},
		{"one snapshot: a zero-length run", []provider.Snapshot{start},
			aggregate.Usage{DurationMS: u(0), CPUStallMS: u(0), IOStallMS: u(0), CPUThrottledMS: u(0), ProcessRSSPeakMB: u(250)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a aggregate.Aggregator
			for _, s := range tt.snaps {
				a.Observe(s)
			}
			got := a.Usage(aggregate.ModeBoundary)
			g := []any{got.DurationMS, got.ProcessCPUPct, got.CPUStallMS, got.MemoryStallMS, got.IOStallMS, got.CPUThrottledMS, got.ProcessRSSPeakMB}
			w := tt.want
			want := []any{w.DurationMS, w.ProcessCPUPct, w.CPUStallMS, w.MemoryStallMS, w.IOStallMS, w.CPUThrottledMS, w.ProcessRSSPeakMB}
			if diff := cmp.Diff(want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// op is one step of an observation sequence: n copies of s spaced by
// step.
type op struct {
	s    provider.Snapshot
	n    uint64
	step time.Duration
}

// oneByOne observes the copies one at a time, as ObserveRepeat documents
// them.
func oneByOne(a *aggregate.Aggregator, o op) {
	for i := range o.n {
		c := o.s
		c.CapturedAtMS = max(c.CapturedAtMS, 0) + (o.step * time.Duration(i)).Milliseconds()
		a.Observe(c)
	}
}

// checkRepeat observes ops both ways and compares the summaries after
// every step.
func checkRepeat(t *testing.T, ops []op) {
	t.Helper()
	var one, rep aggregate.Aggregator
	for i, o := range ops {
		oneByOne(&one, o)
		rep.ObserveRepeat(o.s, o.n, o.step)
		m := aggregate.SummaryEvery(0)
		if diff := cmp.Diff(one.Usage(m), rep.Usage(m)); diff != "" || one.Count() != rep.Count() {
			t.Fatalf("after op %d (%d × %+v every %v): one by one vs repeat (-one +repeat):\n%s", i, o.n, o.s, o.step, diff)
		}
	}
}

func TestObserveRepeatEqualsOneByOne(t *testing.T) {
	ms := time.Millisecond
	idle := provider.Snapshot{CPUPct: f(0.1), ProcessCPUPct: f(0.7), ProcessRSSMB: u(10), AvailableMemMB: u(900), TotalMemMB: u(1000)}
	busyS := provider.Snapshot{CPUPct: f(93.3), ProcessCPUPct: f(33.3), ProcessRSSMB: u(300), AvailableMemMB: u(40), TotalMemMB: u(1000), Thermal: provider.ThermalHot}
	withCounters := busy(provider.Snapshot{CPUPct: f(12.5)}, time.Second, 10*time.Second)
	tests := []struct {
		name string
		ops  []op
	}{
		{"nothing", []op{{idle, 0, 250 * ms}}},
		{"one", []op{{idle, 1, 250 * ms}}},
		{"a span", []op{{idle, 1000, 250 * ms}}},
		{"spans of different values", []op{{at(0, idle), 1, 0}, {at(250, busyS), 7, 250 * ms}, {at(2000, idle), 13, 250 * ms}, {at(5250, busyS), 1, 0}}},
		{"a span continuing the previous value", []op{{at(0, idle), 3, 250 * ms}, {at(750, idle), 5, 250 * ms}}},
		{"an interval that is not whole milliseconds", []op{{at(0, idle), 1, 0}, {at(3, busyS), 17, 2500 * time.Microsecond}}},
		{"a zero step", []op{{at(7, busyS), 5, 0}, {at(7, idle), 5, 0}}},
		{"counters that do not move between copies", []op{{at(0, withCounters), 4, time.Second}, {at(4000, busy(provider.Snapshot{}, 3*time.Second, 14*time.Second)), 1, 0}}},
		{"unknown samples (an error span)", []op{{at(0, idle), 1, 0}, {at(250, provider.Snapshot{}), 9, 250 * ms}, {at(2500, busyS), 1, 0}}},
		{"a huge step", []op{{at(0, idle), 1, 0}, {at(1, busyS), 2, 1 << 62}, {at(4611686018428, idle), 3, 1 << 61}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRepeat(t, tt.ops) })
	}
}

// ObserveRepeat costs the same whatever n is, and saturates instead of
// overflowing.
func TestObserveRepeatHuge(t *testing.T) {
	var a aggregate.Aggregator
	a.Observe(provider.Snapshot{CPUPct: f(50)})
	a.ObserveRepeat(provider.Snapshot{CPUPct: f(20), CapturedAtMS: 1}, math.MaxUint64/2, time.Hour)
	a.Observe(provider.Snapshot{CPUPct: f(80), CapturedAtMS: math.MaxInt64})
	got := a.Usage(aggregate.SummaryEvery(0))
	if got.SampleCount != math.MaxUint64/2+2 || got.DurationMS != u(math.MaxInt64) || got.CPUPeakPct != f(80) || got.CPUAvgPct != f(20) {
		t.Fatalf("got %s", got.AppendJSON(nil))
	}
	if n := testing.AllocsPerRun(100, func() { a.ObserveRepeat(provider.Snapshot{}, 1e12, time.Second) }); n != 0 {
		t.Errorf("ObserveRepeat allocates %v times", n)
	}
}

// FuzzObserveRepeat checks that observing a span at once equals observing
// it one snapshot at a time, for arbitrary snapshots, counts and steps.
func FuzzObserveRepeat(fz *testing.F) {
	fz.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
	fz.Add([]byte{0xff, 0xff, 0x10, 0x27, 0, 0, 0, 0, 9, 0xff, 0, 0, 3, 1, 0, 0x40, 0, 2, 1})
	fz.Fuzz(func(t *testing.T, data []byte) {
		const rec = 12
		var ops []op
		var clock int64
		for len(data) >= rec {
			r := data[:rec]
			data = data[rec:]
			var s provider.Snapshot
			// Few distinct values, so that spans continue one another.
			if r[0]&1 != 0 {
				s.CPUPct = f(float64(r[1]%8) * 12.5)
			}
			if r[0]&2 != 0 {
				s.ProcessCPUPct = f(float64(r[2]%4) * 3.3)
			}
			if r[0]&4 != 0 {
				s.ProcessRSSMB = u(uint64(r[3] % 5))
			}
			if r[0]&8 != 0 {
				s.Counters.CPUBusy, s.Counters.CPUTotal = d(time.Duration(r[4]%4)*time.Second), d(time.Duration(r[5]%4)*time.Second)
			}
			if r[0]&16 != 0 {
				s.Counters.CPUStall = d(time.Duration(r[6]) * time.Millisecond)
			}
			s.Thermal = provider.ThermalState(r[7] % 5)
			clock += int64(r[8] % 4) // sometimes the same millisecond
			if r[0]&32 != 0 {
				clock -= 2 // sometimes backwards
			}
			s.CapturedAtMS = clock
			n := uint64(r[9] % 40)
			step := time.Duration(binary.LittleEndian.Uint16(r[10:12])) * 37 * time.Microsecond
			ops = append(ops, op{s, n, step})
			clock += (step * time.Duration(max(n, 1)-1)).Milliseconds()
		}
		checkRepeat(t, ops)
	})
}

func BenchmarkObserveRepeat(b *testing.B) {
	var a aggregate.Aggregator
	s := provider.Snapshot{CPUPct: f(42), ProcessRSSMB: u(300), AvailableMemMB: u(4000), TotalMemMB: u(16000)}
	b.ReportAllocs()
	for b.Loop() {
		a.ObserveRepeat(s, 1<<40, 250*time.Millisecond)
	}
}

// TestObserveWiredEqualsObserve: a fan-out that wires a sample once and
// hands it to many aggregators gets exactly what Observe gives, for
// snapshots inside and outside the contract.
func TestObserveWiredEqualsObserve(t *testing.T) {
	seq := []provider.Snapshot{
		at(0, provider.Snapshot{CPUPct: f(250), ProcessRSSMB: u(0), AvailableMemMB: u(5000), TotalMemMB: u(100), MemoryPressure: 9}),
		at(250, busy(provider.Snapshot{CPUPct: f(-3), BatteryPct: provider.Some[uint8](200), Thermal: provider.ThermalHot}, time.Second, 4*time.Second)),
		at(500, provider.Snapshot{CapturedAtMS: -5}),
		at(750, busy(provider.Snapshot{CPUPct: f(40), ProcessCPUPct: f(12), AvailableMemMB: u(1), TotalMemMB: u(100)}, 2*time.Second, 6*time.Second)),
	}
	var byValue, wired aggregate.Aggregator
	for _, s := range seq {
		byValue.Observe(s)
		w := s.Wire()
		wired.ObserveWired(&w)
	}
	mode := aggregate.SummaryEvery(250 * time.Millisecond)
	if diff := cmp.Diff(byValue.Usage(mode), wired.Usage(mode)); diff != "" {
		t.Errorf("ObserveWired differs from Observe (-Observe +ObserveWired):\n%s", diff)
	}
}

// An interval whose idle time (total − busy) went backwards says nothing:
// it takes the later snapshot's cpu_pct, not a busy share above 100 %.
func TestCPUIdleBackwards(t *testing.T) {
	var a aggregate.Aggregator
	a.Observe(at(0, busy(provider.Snapshot{}, 10*time.Second, 20*time.Second)))
	a.Observe(at(1000, busy(provider.Snapshot{CPUPct: f(40)}, 14*time.Second, 23*time.Second)))
	u := a.Usage(aggregate.ModeBoundary)
	if u.CPUAvgPct != f(40) || u.CPUPeakPct != f(40) {
		t.Errorf("cpu avg %v peak %v; want the later cpu_pct, 40", u.CPUAvgPct, u.CPUPeakPct)
	}
}

// A Usage built by hand with a mode outside the contract is written as
// the normalized mode, which its own decoder reads back.
func TestUsageJSONNormalizesMode(t *testing.T) {
	for _, tc := range []struct {
		mode aggregate.Mode
		want string
	}{
		{aggregate.Mode{Kind: aggregate.Summary}, `"sampling_mode":"summary","sampling_interval_ms":1000`},
		{aggregate.Mode{Kind: aggregate.DebugLocal, Interval: 10 * time.Millisecond}, `"sampling_mode":"debug_local","sampling_interval_ms":250`},
	} {
		b := aggregate.Usage{SampleCount: 2, Mode: tc.mode}.AppendJSON(nil)
		if !strings.Contains(string(b), tc.want) {
			t.Errorf("%+v: %s; want %s", tc.mode, b, tc.want)
		}
		var back aggregate.Usage
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%+v: %s does not decode: %v", tc.mode, b, err)
		}
	}
}

// accel returns s with the accelerators list, read at readMS.
func accel(s provider.Snapshot, readMS int64, list ...provider.Accelerator) provider.Snapshot {
	s.SetAccelerators(provider.NewAccelList(list, readMS))
	return s
}

// The accelerators over a run (docs/contract.md §9): like the CPU, each
// interval takes the busy counters of its two ends where an accelerator
// keeps one (their growth over the time between the two readings), the
// other accelerators' own busy share, the busiest; else the later
// snapshot's gpu_busy_pct. Memory peaks are the highest flat values.
func TestAccelOverRun(t *testing.T) {
	s := time.Second
	npu := func(busy time.Duration, pct float64) provider.Accelerator {
		return provider.Accelerator{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true,
			BusyTime: d(busy), BusyPct: f(pct)}
	}
	gpu := func(pct float64, used uint64) provider.Accelerator {
		return provider.Accelerator{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			BusyPct: f(pct), MemUsedMB: u(used), MemTotalMB: u(8192), ProcessMemMB: u(used / 2)}
	}
	tests := []struct {
		name      string
		snaps     []provider.Snapshot
		avg, peak provider.Opt[float64]
		mem, pmem provider.Opt[uint64]
	}{
		{"no accelerator", []provider.Snapshot{at(0, provider.Snapshot{}), at(1000, provider.Snapshot{})},
			provider.Opt[float64]{}, provider.Opt[float64]{}, provider.Opt[uint64]{}, provider.Opt[uint64]{}},
		{"counters at both ends win over the reader's own share",
			[]provider.Snapshot{
				accel(at(0, provider.Snapshot{}), 1000, npu(10*s, 5)),
				// read 2 s later: 1.5 s busy, 75 %; the reader's share says 99
				accel(at(2000, provider.Snapshot{}), 3000, npu(11500*time.Millisecond, 99)),
			}, f(75), f(75), provider.Opt[uint64]{}, provider.Opt[uint64]{}},
		{"the same reading at both ends takes the snapshot's share",
			[]provider.Snapshot{
				accel(at(0, provider.Snapshot{}), 1000, npu(10*s, 40)),
				accel(at(500, provider.Snapshot{}), 1000, npu(10*s, 40)),
			}, f(40), f(40), provider.Opt[uint64]{}, provider.Opt[uint64]{}},
		{"a counter that went backwards falls back",
			[]provider.Snapshot{
				accel(at(0, provider.Snapshot{}), 1000, npu(10*s, 5)),
				accel(at(1000, provider.Snapshot{}), 2000, npu(1*s, 30)),
			}, f(30), f(30), provider.Opt[uint64]{}, provider.Opt[uint64]{}},
		{"the busiest device, counted or not",
			[]provider.Snapshot{
				accel(at(0, provider.Snapshot{}), 1000, npu(10*s, 5), gpu(10, 1000)),
				accel(at(1000, provider.Snapshot{}), 2000, npu(10500*time.Millisecond, 5), gpu(80, 3000)), // npu 50, gpu 80
				accel(at(3000, provider.Snapshot{}), 4000, npu(12500*time.Millisecond, 5), gpu(20, 2000)), // npu 100, gpu 20
			}, f((80*1000 + 100*2000) / 3000.0), f(100), u(3000), u(1500)},
		{"flat fields alone (a trace)",
			[]provider.Snapshot{
				at(0, provider.Snapshot{GPUBusyPct: f(50), GPUMemUsedMB: u(10), GPUMemTotalMB: u(100)}),
				at(1000, provider.Snapshot{GPUBusyPct: f(90), GPUMemUsedMB: u(100), GPUMemTotalMB: u(100), ProcessGPUMemMB: u(70)}),
				at(4000, provider.Snapshot{GPUBusyPct: f(10), GPUMemUsedMB: u(60), GPUMemTotalMB: u(100)}),
			}, f((90*1000 + 10*3000) / 4000.0), f(90), u(100), u(70)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a aggregate.Aggregator
			for _, s := range tt.snaps {
				a.Observe(s)
			}
			got := a.Usage(aggregate.SummaryEvery(time.Second))
			want := aggregate.Usage{GPUBusyAvgPct: tt.avg, GPUBusyPeakPct: tt.peak, GPUMemPeakMB: tt.mem, ProcessGPUMemPeakMB: tt.pmem}
			have := aggregate.Usage{GPUBusyAvgPct: got.GPUBusyAvgPct, GPUBusyPeakPct: got.GPUBusyPeakPct, GPUMemPeakMB: got.GPUMemPeakMB, ProcessGPUMemPeakMB: got.ProcessGPUMemPeakMB}
			if diff := cmp.Diff(want, have, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
				t.Errorf("accelerator fields (-want +got):\n%s", diff)
			}
		})
	}
}
