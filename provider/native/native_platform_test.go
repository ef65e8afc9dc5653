//go:build darwin || windows

package native

import (
	"io"
	"testing"

	"github.com/restel/restel/provider"
)

// checkNative checks that New returns a *P offering exactly the optional
// capabilities its platform has (RunReader included), closes cleanly, and
// that a negative PID is an error with a nil provider (not a nil *P in a
// non-nil interface).
func checkNative[P provider.SnapshotProvider](t *testing.T, wantThermal bool) {
	t.Helper()
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(P); !ok {
		var want P
		t.Fatalf("New returned %T; want %T", p, want)
	}
	if _, ok := p.(provider.ThermalReader); ok != wantThermal {
		t.Errorf("ThermalReader offered: %v, want %v", ok, wantThermal)
	}
	if _, ok := p.(provider.BatteryReader); !ok {
		t.Error("no BatteryReader")
	}
	if _, ok := p.(provider.RunReader); !ok {
		t.Error("no RunReader")
	}
	c, ok := p.(io.Closer)
	if !ok {
		t.Fatal("no io.Closer")
	}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	if p, err := New(Options{PID: -1}); p != nil || err == nil {
		t.Errorf("PID -1: %v, %v; want an error and a nil provider", p, err)
	}
}
