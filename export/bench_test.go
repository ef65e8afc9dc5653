package export_test

import (
	"testing"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

var benchHeadroom = headroom.Headroom{
	EffectiveCPUs: provider.Some(2.0), CPULimitBy: headroom.ByHost, ThrottledRatio: provider.Some(0.0),
	UsableMemMB: provider.Some[uint64](3000), MemLimitBy: headroom.ByHost,
	Thermal: provider.Some(0.5), ThermalForecast: provider.Some(0.6),
}

var benchSnap = provider.Snapshot{
	CPUPct: provider.Some(40.0), ProcessRSSMB: provider.Some[uint64](100),
	AvailableMemMB: provider.Some[uint64](3000), TotalMemMB: provider.Some[uint64](4000),
	MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](50),
	Counters: provider.Counters{
		CPUBusy: provider.Some(90 * time.Second), CPUTotal: provider.Some(360 * time.Second),
		CPUStall: provider.Some(time.Second), MemoryStall: provider.Some(time.Second),
		IOStall: provider.Some(time.Second), Throttled: provider.Some(time.Second),
	},
}

// BenchmarkCollect is one collection of the snapshot's metrics from a
// source that returns at once: the export table's own cost.
func BenchmarkCollect(b *testing.B) {
	c := export.NewCollector(&fullSource{source: source{snap: benchSnap}}, time.Second)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		c.Collect(func(int, float64) { n++ })
	}
}

// BenchmarkCollectPoints is one collection of every metric: the
// snapshot's and the headroom's.
func BenchmarkCollectPoints(b *testing.B) {
	src := &headroomSource{fullSource: fullSource{source: source{snap: benchSnap}}, h: benchHeadroom}
	src.horizons = make([]time.Duration, 0, 1)
	c := export.NewCollector(src, time.Second)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		src.horizons = src.horizons[:0]
		c.CollectPoints(func(export.Point) { n++ })
	}
}
