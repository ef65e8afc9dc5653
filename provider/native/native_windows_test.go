//go:build windows

package native

import (
	"io"
	"testing"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/windows"
)

func TestNewWindows(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*windows.Provider); !ok {
		t.Fatalf("New returned %T; want *windows.Provider", p)
	}
	if _, ok := p.(provider.BatteryReader); !ok {
		t.Error("no BatteryReader")
	}
	if _, ok := p.(provider.ThermalReader); ok {
		t.Error("ThermalReader offered although Windows has no cheap thermal source")
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
