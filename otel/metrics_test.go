package restelotel_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/semconv/v1.43.0/hwconv"
	"go.opentelemetry.io/otel/semconv/v1.43.0/processconv"
	"go.opentelemetry.io/otel/semconv/v1.43.0/systemconv"

	"github.com/restel/restel/export"
	"github.com/restel/restel/orchestrator"
	restelotel "github.com/restel/restel/otel"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// script is a scripted source: read k returns snaps[k] (the last one once
// the script runs out) and is counted, with the maxAge it was asked for.
type script struct {
	mu     sync.Mutex
	snaps  []provider.Snapshot
	reads  int
	maxAge []time.Duration
}

func (s *script) CurrentSnapshot(maxAge time.Duration) provider.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snaps[min(s.reads, len(s.snaps)-1)]
	s.reads++
	s.maxAge = append(s.maxAge, maxAge)
	return snap
}

func (s *script) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// fullScript is a script that also has FullSnapshot; CurrentSnapshot is
// then never to be called.
type fullScript struct {
	script
	current int
}

func (s *fullScript) FullSnapshot(maxAge time.Duration) provider.Snapshot {
	return s.script.CurrentSnapshot(maxAge)
}

func (s *fullScript) CurrentSnapshot(maxAge time.Duration) provider.Snapshot {
	s.current++
	return s.script.CurrentSnapshot(maxAge)
}

// point is one collected data point, flattened for comparison.
type point struct {
	unit, desc string
	kind       string // gauge, updowncounter, counter
	value      float64
	attrs      string
}

// collect runs one collection and flattens it by metric name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]point{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != restelotel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, restelotel.ScopeName)
		}
		for _, m := range sm.Metrics {
			p := point{unit: m.Unit, desc: m.Description}
			var dps []metricdata.DataPoint[float64]
			switch d := m.Data.(type) {
			case metricdata.Gauge[float64]:
				p.kind, dps = "gauge", d.DataPoints
			case metricdata.Sum[float64]:
				if d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: temporality %v, want cumulative", m.Name, d.Temporality)
				}
				p.kind, dps = "updowncounter", d.DataPoints
				if d.IsMonotonic {
					p.kind = "counter"
				}
			default:
				t.Errorf("%s: data %T, want float64 gauge or sum", m.Name, m.Data)
				continue
			}
			if len(dps) == 0 {
				t.Errorf("%s: no data points", m.Name)
				continue
			}
			// One point per metric, keyed by name; a metric of several
			// points (restel.cpu.time's states) by name{attributes}.
			for _, dp := range dps {
				p.value = dp.Value
				var kv []string
				for _, a := range dp.Attributes.ToSlice() {
					kv = append(kv, string(a.Key)+"="+a.Value.String())
				}
				p.attrs = strings.Join(kv, ",")
				key := m.Name
				if len(dps) > 1 {
					key += "{" + p.attrs + "}"
				}
				out[key] = p
			}
		}
	}
	return out
}

func newReader(t *testing.T, src export.Source, opts ...restelotel.Option) *sdkmetric.ManualReader {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	if _, err := restelotel.RegisterMetrics(mp, src, opts...); err != nil {
		t.Fatalf("RegisterMetrics: %v", err)
	}
	return r
}

var availableName = map[bool]string{true: "system.memory.linux.available", false: "restel.memory.available"}[runtime.GOOS == "linux" || runtime.GOOS == "android"]

var device = provider.Snapshot{
	CPUPct:         provider.Some(62.5),
	ProcessRSSMB:   provider.Some[uint64](1536),
	AvailableMemMB: provider.Some[uint64](1000),
	TotalMemMB:     provider.Some[uint64](8000),
	Thermal:        provider.ThermalHot,
	BatteryPct:     provider.Some[uint8](35),
	CapturedAtMS:   1_750_000_000_000,
	Counters: provider.Counters{
		CPUStall:    provider.Some(2500 * time.Millisecond),
		MemoryStall: provider.Some(125 * time.Millisecond),
		IOStall:     provider.Some(4 * time.Second),
		Throttled:   provider.Some(750 * time.Millisecond),
		CPUBusy:     provider.Some(125 * time.Second),
		CPUTotal:    provider.Some(1000 * time.Second),
	},
	Bytes: provider.MemoryBytes{Total: provider.Some[uint64](8000<<20 + 12345)},
}

const cpuTimeDesc = "CPU time of all CPUs together, by state: busy, or idle (idle includes I/O wait)."

// TestMetricsExact collects a scripted device and checks every metric's
// name, unit, description, instrument kind, value and attributes.
func TestMetricsExact(t *testing.T) {
	src := &fullScript{script: script{snaps: []provider.Snapshot{device}}}
	got := collect(t, newReader(t, src))
	descAvail := "An estimate of how much memory is available for starting new applications, without causing swapping."
	if availableName == "restel.memory.available" {
		descAvail = export.Table()[2].Description
	}
	want := map[string]point{
		"process.memory.usage":        {"By", "The amount of physical memory in use.", "updowncounter", 1536 << 20, ""},
		"system.memory.limit":         {"By", "Total virtual memory available in the system.", "updowncounter", 8000<<20 + 12345, ""},
		availableName:                 {"By", descAvail, "updowncounter", 1000 << 20, ""},
		"hw.battery.charge":           {"1", "Remaining fraction of battery charge.", "gauge", 0.35, "hw.id=battery"},
		"restel.cpu.time{state=busy}": {"s", cpuTimeDesc, "counter", 125, "state=busy"},
		"restel.cpu.time{state=idle}": {"s", cpuTimeDesc, "counter", 875, "state=idle"},
		"restel.memory.pressure":      {"{level}", "Memory pressure level: 0 normal, 1 warn, 2 critical.", "gauge", 1, ""}, // 12.5 % available
		"restel.thermal.state":        {"{level}", "Thermal state level: 0 normal, 1 warm, 2 hot, 3 critical.", "gauge", 2, ""},
		"restel.cpu.stall.time":       {"s", "Time some task waited for a CPU (Linux pressure stall information, cpu some total).", "counter", 2.5, ""},
		"restel.memory.stall.time":    {"s", "Time some task waited for memory (Linux pressure stall information, memory some total).", "counter", 0.125, ""},
		"restel.io.stall.time":        {"s", "Time some task waited for IO (Linux pressure stall information, io some total).", "counter", 4, ""},
		"restel.cpu.throttled.time":   {"s", "Time the process's cgroup was throttled by its CPU quota.", "counter", 0.75, ""},
	}
	if len(got) != len(want) {
		t.Errorf("%d metrics, want %d: %v", len(got), len(want), got)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("%s = %+v (present %v)\nwant %+v", name, g, ok, w)
		}
	}
	if src.reads != 1 || src.current != 0 {
		t.Errorf("%d FullSnapshot and %d CurrentSnapshot reads, want 1 and 0", src.reads-src.current, src.current)
	}
}

// TestSemanticConventions checks the convention-named metrics against the
// conventions' generated Go package: name, unit and description. (The
// generated instruments are Int64 for several of them; restel builds
// Float64 instruments and takes only these three strings.)
func TestSemanticConventions(t *testing.T) {
	for _, c := range []struct{ name, unit, desc string }{
		{processconv.MemoryUsage{}.Name(), processconv.MemoryUsage{}.Unit(), processconv.MemoryUsage{}.Description()},
		{systemconv.MemoryLimit{}.Name(), systemconv.MemoryLimit{}.Unit(), systemconv.MemoryLimit{}.Description()},
		{systemconv.MemoryLinuxAvailable{}.Name(), systemconv.MemoryLinuxAvailable{}.Unit(), systemconv.MemoryLinuxAvailable{}.Description()},
		{hwconv.BatteryCharge{}.Name(), hwconv.BatteryCharge{}.Unit(), hwconv.BatteryCharge{}.Description()},
	} {
		found := false
		for _, m := range export.TableFor("linux") {
			if m.Name != c.name {
				continue
			}
			found = true
			if m.Unit != c.unit || m.Description != c.desc {
				t.Errorf("%s: unit %q description %q; the convention says %q, %q", m.Name, m.Unit, m.Description, c.unit, c.desc)
			}
		}
		if !found {
			t.Errorf("%s: not exported", c.name)
		}
	}
}

// TestOneReadPerCollection: each collection reads the source exactly once
// and observes that read's values, whatever the number of instruments.
func TestOneReadPerCollection(t *testing.T) {
	snaps := make([]provider.Snapshot, 3)
	for i := range snaps {
		busy := time.Duration(10*(i+1)) * time.Second
		snaps[i] = provider.Snapshot{
			BatteryPct: provider.Some(uint8(90 - i)),
			Counters:   provider.Counters{CPUBusy: provider.Some(busy), CPUTotal: provider.Some(4 * busy)},
		}
	}
	src := &script{snaps: snaps}
	r := newReader(t, src, restelotel.WithMaxAge(2*time.Second))
	for i := range snaps {
		got := collect(t, r)
		if src.Reads() != i+1 {
			t.Fatalf("after %d collections %d reads, want %d", i+1, src.Reads(), i+1)
		}
		if g, w := got["restel.cpu.time{state=busy}"].value, float64(10*(i+1)); g != w {
			t.Errorf("collection %d: cpu busy %v, want %v", i, g, w)
		}
		if g, w := got["restel.cpu.time{state=idle}"].value, float64(30*(i+1)); g != w {
			t.Errorf("collection %d: cpu idle %v, want %v", i, g, w)
		}
		if g, w := got["hw.battery.charge"].value, float64(90-i)/100; g != w {
			t.Errorf("collection %d: battery %v, want %v", i, g, w)
		}
		if len(got) != 3 {
			t.Errorf("collection %d: %d points %v, want the 3 known ones", i, len(got), got)
		}
	}
	for _, a := range src.maxAge {
		if a != 2*time.Second {
			t.Errorf("read with maxAge %v, want the configured 2s", a)
		}
	}
}

// TestCountersNeedFullSource: without FullSnapshot the run counters are
// absent even when a snapshot carries them.
func TestCountersNeedFullSource(t *testing.T) {
	src := &script{snaps: []provider.Snapshot{device}}
	got := collect(t, newReader(t, src))
	for _, m := range export.Table() {
		_, present := got[m.Name]
		if len(m.Attrs) > 0 {
			_, present = got[m.Name+"{"+m.Attrs[0].Key+"="+m.Attrs[0].Value+"}"]
			present = present || got[m.Name].attrs != ""
		}
		if present == m.Full {
			t.Errorf("%s: present %v from a source without FullSnapshot", m.Name, present)
		}
	}
}

// TestUnknownHasNoPoint: an all-unknown snapshot (a failing provider)
// yields no data point at all, not zeros.
func TestUnknownHasNoPoint(t *testing.T) {
	src := &fullScript{script: script{snaps: []provider.Snapshot{provider.Unknown(time.Unix(1, 0))}}}
	if got := collect(t, newReader(t, src)); len(got) != 0 {
		t.Errorf("metrics from an unknown snapshot: %v", got)
	}
}

type panicking struct{}

func (panicking) CurrentSnapshot(time.Duration) provider.Snapshot { panic("provider bug") }

// TestPanicIsAnError: a panic in the source is the callback's error, never
// a panic in the caller's collection.
func TestPanicIsAnError(t *testing.T) {
	r := newReader(t, panicking{})
	var rm metricdata.ResourceMetrics
	err := r.Collect(context.Background(), &rm)
	if err == nil || !strings.Contains(err.Error(), "provider bug") {
		t.Errorf("Collect error %v, want one naming the panic", err)
	}
}

func TestUnregister(t *testing.T) {
	src := &script{snaps: []provider.Snapshot{device}}
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	reg, err := restelotel.RegisterMetrics(mp, src)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, r)
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	collect(t, r)
	if src.Reads() != 1 {
		t.Errorf("%d reads after unregistering, want the 1 before", src.Reads())
	}
}

func TestRegisterNil(t *testing.T) {
	mp := sdkmetric.NewMeterProvider()
	defer mp.Shutdown(context.Background())
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"nil provider", func() error { _, err := restelotel.RegisterMetrics(nil, &script{}); return err }()},
		{"nil source", func() error { _, err := restelotel.RegisterMetrics(mp, nil); return err }()},
	} {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), "restelotel: ") {
			t.Errorf("%s: err %v, want a restelotel error", tc.name, tc.err)
		}
	}
}

// TestMonitorFreshCacheNoRead: on a real Monitor, collections within the
// cache's age make no provider read; one past it makes exactly one.
func TestMonitorFreshCacheNoRead(t *testing.T) {
	tr, err := fake.Parse("device.trace", strings.NewReader("@0s cpu=40 rss=100 avail=3000 total=4000\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := fake.New(tr)
	m := orchestrator.New(p)
	defer m.Close()
	m.CurrentSnapshot(0)
	before := p.Reads()
	r := newReader(t, m, restelotel.WithMaxAge(time.Hour))
	for range 5 {
		got := collect(t, r)
		if got["process.memory.usage"].value != 100<<20 || got["restel.memory.pressure"].value != 0 {
			t.Fatalf("collected %v", got)
		}
	}
	if n := p.Reads() - before; n != 0 {
		t.Errorf("5 collections on a fresh cache made %d provider reads, want 0", n)
	}
	r2 := newReader(t, m, restelotel.WithMaxAge(0))
	before = p.Reads()
	collect(t, r2)
	if n := p.Reads() - before; n != 1 {
		t.Errorf("a collection with maxAge 0 made %d provider reads, want 1", n)
	}
}

// TestCountersMonotonic: a custom provider's negative counters are no
// point, and one that goes backwards is observed at its last value until
// it passes it: a cumulative sum never decreases.
func TestCountersMonotonic(t *testing.T) {
	counters := func(stall, busy, total time.Duration) provider.Snapshot {
		return provider.Snapshot{Counters: provider.Counters{
			CPUStall: provider.Some(stall), CPUBusy: provider.Some(busy), CPUTotal: provider.Some(total),
		}}
	}
	src := &fullScript{script: script{snaps: []provider.Snapshot{
		counters(-2*time.Second, -time.Second, time.Second),
		counters(3*time.Second, 5*time.Second, 9*time.Second),
		counters(time.Second, 4*time.Second, 7*time.Second),
		counters(4*time.Second, 6*time.Second, 11*time.Second),
	}}}
	r := newReader(t, src)
	type want struct{ stall, busy, idle float64 } // -1: no point
	for i, w := range []want{{-1, -1, -1}, {3, 5, 4}, {3, 5, 4}, {4, 6, 5}} {
		got := collect(t, r)
		value := func(key string) float64 {
			if p, ok := got[key]; ok {
				return p.value
			}
			return -1
		}
		busy, idle := value("restel.cpu.time{state=busy}"), value("restel.cpu.time{state=idle}")
		if w.busy < 0 { // one point left at most: keyed by name
			busy, idle = value("restel.cpu.time"), -1
		}
		if g := (want{value("restel.cpu.stall.time"), busy, idle}); g != w {
			t.Errorf("collection %d: stall, busy, idle = %v, want %v", i, g, w)
		}
	}
}
