package windows

import (
	"runtime"
	"testing"

	"github.com/restel/restel/internal/vouch"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/providertest"
)

// TestConformanceFake runs the conformance suite on every GOOS against a
// Provider over the in-memory sys.
func TestConformanceFake(t *testing.T) {
	providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
		f := newFakeSys()
		f.power = systemPowerStatus{BatteryFlag: 1, BatteryLifePercent: 77}
		return mustProvider(t, f)
	})
}

// TestConformanceNative runs the suite against the real kernel32 calls. It
// can only run on Windows (CI here is Linux).
func TestConformanceNative(t *testing.T) {
	if runtime.GOOS != "windows" {
		t.Skip("needs Windows")
	}
	providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
		p, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if !p.Bounded() {
			t.Error("the native provider is not Bounded")
		}
		return p
	})
}

// Injected system calls (a test's) may block: such a Provider does not
// claim to be Bounded, so the orchestrator hands its reads off.
func TestInjectedSysIsNotBounded(t *testing.T) {
	if p := mustProvider(t, newFakeSys()); p.Bounded() || vouch.For(p) {
		t.Fatal("a Provider over injected system calls reports Bounded")
	}
}
