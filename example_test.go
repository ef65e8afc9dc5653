package restel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/restel/restel"
	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// A host that brings its own provider installs its monitor as the
// process-wide default; pushed values show in every snapshot.
func ExampleSetDefault() {
	p := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(12.5), Thermal: provider.ThermalNormal}, nil
	})
	m := orchestrator.New(p, orchestrator.WithHost(restel.Host()))
	defer m.Close()
	prev := restel.SetDefault(m)
	defer restel.SetDefault(prev)

	restel.Host().SetThermalState(provider.ThermalHot)
	defer restel.Host().ClearThermalState()

	s := restel.Default().CurrentSnapshot(500 * time.Millisecond)
	fmt.Println(s.CPUPct.Or(-1), s.Thermal)

	run := restel.Default().BeginRun(context.Background(), aggregate.ModeBoundary)
	if u, ok := run.Finish(); ok {
		fmt.Println(u.SampleCount, u.ThermalPeak)
	}
	// Output:
	// 12.5 hot
	// 2 hot
}
