package restelotel

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// discard is an Observer that counts what it is given.
type discard struct {
	embedded.Observer
	n int
}

func (d *discard) ObserveFloat64(metric.Float64Observable, float64, ...metric.ObserveOption) { d.n++ }
func (d *discard) ObserveInt64(metric.Int64Observable, int64, ...metric.ObserveOption)       { d.n++ }

// freshMonitor returns a monitor on a scripted device whose cache is
// warm, and its provider to count reads.
func freshMonitor(b *testing.B) (*orchestrator.Monitor, *fake.Provider) {
	tr, err := fake.Parse("device.trace", strings.NewReader("@0s cpu=40 rss=100 avail=3000 total=4000 thermal=warm battery=50\n"))
	if err != nil {
		b.Fatal(err)
	}
	p := fake.New(tr)
	m := orchestrator.New(p)
	b.Cleanup(func() { _ = m.Close() })
	m.CurrentSnapshot(0)
	return m, p
}

// withCPUTime is a Monitor whose full snapshots also carry the device's
// CPU time counters, which the scripted provider does not report, so a
// collection observes every metric of the table, the CPU time included.
type withCPUTime struct{ *orchestrator.Monitor }

func (w withCPUTime) FullSnapshot(maxAge time.Duration) provider.Snapshot {
	s := w.Monitor.RunSnapshot(maxAge)
	s.Counters.CPUBusy, s.Counters.CPUTotal = provider.Some(90*time.Second), provider.Some(360*time.Second)
	return s
}

// BenchmarkCallback is the registered callback alone on a fresh cache:
// one cached read plus the observations. reads/op must be 0.
func BenchmarkCallback(b *testing.B) {
	m, p := freshMonitor(b)
	mp := sdkmetric.NewMeterProvider()
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, _, err := newCollector(mp.Meter(ScopeName), withCPUTime{m}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	o := &discard{}
	before := p.Reads()
	b.ReportAllocs()
	for b.Loop() {
		_ = c.observe(context.Background(), o)
	}
	b.ReportMetric(float64(p.Reads()-before)/float64(b.N), "reads/op")
	if o.n == 0 {
		b.Fatal("nothing observed")
	}
}

// BenchmarkCollect is a whole collection by the SDK's reader: the
// callback plus the SDK's aggregation into metricdata.
func BenchmarkCollect(b *testing.B) {
	m, p := freshMonitor(b)
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	if _, err := RegisterMetrics(mp, withCPUTime{m}, WithMaxAge(time.Hour)); err != nil {
		b.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	before := p.Reads()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Collect(context.Background(), &rm); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Reads()-before)/float64(b.N), "reads/op")
}
