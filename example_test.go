package restel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/restel/restel"
	"github.com/restel/restel/provider"
)

// The common flow, with one import: the process-wide monitor on this
// device, a cached read on the hot path, a pipeline stage whose calls are
// runs, and a run by hand.
func Example() {
	m := restel.Default()
	mode := restel.ModeFromEnv(restel.ModeBoundary) // RESTEL_RESOURCE_TELEMETRY, when set, wins

	// Hot path: a cached read (no allocation), to adapt execution.
	model := "8b"
	if s := m.CurrentSnapshot(500 * time.Millisecond); s.MemoryPressure >= restel.MemoryPressureWarn || s.Thermal >= restel.ThermalHot {
		model = "1b" // memory or heat is short: a smaller model
	}

	// A pipeline stage: each call is a run, and its event carries the
	// call's summary (ev.ResourceSummary) when the mode takes one.
	infer := restel.Stage(m, "infer", mode, func(ctx context.Context, prompt string) (string, error) {
		return model + ": hello " + prompt, nil
	}, func(ev restel.Event) { fmt.Println("event:", ev.Stage, ev.Err) })
	if _, err := infer(context.Background(), "world"); err != nil {
		fmt.Println(err)
	}

	// A run by hand.
	run := m.BeginRun(context.Background(), restel.ModeBoundary)
	defer run.Close() // discards the run if Finish is never reached
	if u, ok := run.Finish(); ok {
		fmt.Println(u.Mode.WireLabel(), u.SampleCount)
	}
	// Output:
	// event: infer <nil>
	// boundary 2
}

// A host that brings its own provider installs its monitor as the
// process-wide default; pushed values show in every snapshot.
func ExampleSetDefault() {
	p := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(12.5), Thermal: provider.ThermalNormal}, nil
	})
	m := restel.New(p, restel.WithHost(restel.Host()))
	defer m.Close()
	prev := restel.SetDefault(m)
	defer restel.SetDefault(prev)

	restel.Host().SetThermalState(restel.ThermalHot)
	defer restel.Host().ClearThermalState()

	s := restel.Default().CurrentSnapshot(500 * time.Millisecond)
	fmt.Println(s.CPUPct.Or(-1), s.Thermal)

	run := restel.Default().BeginRun(context.Background(), restel.ModeBoundary)
	if u, ok := run.Finish(); ok {
		fmt.Println(u.SampleCount, u.ThermalPeak)
	}
	// Output:
	// 12.5 hot
	// 2 hot
}
