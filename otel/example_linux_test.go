//go:build linux

package restelotel_test

import (
	"context"
	"fmt"
	"strings"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/restel/restel/orchestrator"
	restelotel "github.com/restel/restel/otel"
	"github.com/restel/restel/provider/fake"
)

// The device's live state as OpenTelemetry metrics (on Linux, where
// available memory is system.memory.linux.available): register once, and
// every collection of the caller's MeterProvider observes the monitor's
// cached snapshot and its headroom (here bounded by the host: the scripted
// device reads no cgroup limits, and its thermal headroom is the band of
// its thermal state).
func ExampleRegisterMetrics() {
	tr, err := fake.Parse("laptop.trace", strings.NewReader("@0s cpu=25 rss=512 avail=6144 total=16384 thermal=warm battery=64\n"))
	if err != nil {
		panic(err)
	}
	m := orchestrator.New(fake.New(tr))
	defer m.Close()

	reader := sdkmetric.NewManualReader() // in a real program, a periodic exporter
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	if _, err := restelotel.RegisterMetrics(mp, m); err != nil {
		panic(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, metric := range sm.Metrics {
			if metric.Name == "restel.cpu.effective" {
				continue // the CPUs of the machine running the example
			}
			switch d := metric.Data.(type) {
			case metricdata.Gauge[float64]:
				fmt.Printf("%s %g %s\n", metric.Name, d.DataPoints[0].Value, metric.Unit)
			case metricdata.Sum[float64]:
				fmt.Printf("%s %g %s\n", metric.Name, d.DataPoints[0].Value, metric.Unit)
			}
		}
	}
	// Unordered output:
	// process.memory.usage 5.36870912e+08 By
	// system.memory.limit 1.7179869184e+10 By
	// system.memory.linux.available 6.442450944e+09 By
	// hw.battery.charge 0.64 1
	// restel.memory.pressure 0 {level}
	// restel.thermal.state 1 {level}
	// restel.memory.usable 6.442450944e+09 By
	// restel.thermal.headroom 0.6666666666666666 1
	// restel.thermal.headroom.forecast 0.6666666666666666 1
}
