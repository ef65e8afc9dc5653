package orchestrator

import (
	"testing"

	"github.com/restel/restel/aggregate"
)

func TestDefault(t *testing.T) {
	m := Default()
	if m == nil || Default() != m {
		t.Fatal("Default is not one monitor")
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
