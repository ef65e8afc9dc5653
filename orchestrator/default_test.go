package orchestrator

import (
	"sync"
	"testing"

	"github.com/restel/restel/aggregate"
)

func TestDefault(t *testing.T) {
	var got [8]*Monitor
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = Default() })
	}
	wg.Wait()
	m := Default()
	for _, g := range got {
		if m == nil || g != m {
			t.Fatal("Default is not one monitor")
		}
	}
	if m.host != Host() {
		t.Fatal("Default does not use the process-wide host state")
	}
	// Reading would start its poller for the rest of the process (goleak);
	// an off run touches nothing.
	if _, ok := m.BeginRun(t.Context(), aggregate.ModeOff).Finish(); ok {
		t.Fatal("off run")
	}
}
