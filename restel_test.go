package restel_test

import (
	"context"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel"
	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/vouch"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(closingDefault{m}) }

// closingDefault closes the process-wide monitor after the tests and
// examples, which use it as a program would, before goleak looks.
type closingDefault struct{ *testing.M }

func (c closingDefault) Run() int {
	code := c.M.Run()
	restel.SetDefault(nil).Close()
	return code
}

func TestDefaultIsOneMonitor(t *testing.T) {
	var got [8]*orchestrator.Monitor
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i] = restel.Default() })
	}
	wg.Wait()
	m := restel.Default()
	for _, g := range got {
		if m == nil || g != m {
			t.Fatal("Default is not one monitor")
		}
	}
	// The native provider itself, not a wrapper: restel vouches for it
	// wherever it is Bounded (the live Linux procfs, say).
	if p, err := native.New(native.Options{}); err == nil {
		if m.Stats().Inline != vouch.For(p) {
			t.Errorf("default monitor reads inline: %v; the native provider is Bounded: %v", m.Stats().Inline, vouch.For(p))
		}
		if c, ok := p.(io.Closer); ok {
			c.Close()
		}
	}
	// Reading would start its slow-signal polling for the rest of the
	// process; an off run touches nothing.
	if _, ok := m.BeginRun(t.Context(), aggregate.ModeOff).Finish(); ok {
		t.Fatal("off run")
	}
}

// A value pushed into Host shows in the default monitor's snapshots, and
// SetDefault replaces the monitor every caller of Default gets.
func TestHostPushReachesDefault(t *testing.T) {
	t.Cleanup(func() { restel.Host().ClearBatteryLevel(); restel.Host().ClearThermalState() })
	m := orchestrator.New(provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{BatteryPct: provider.Some[uint8](90)}, nil
	}), orchestrator.WithHost(restel.Host()))
	defer m.Close()
	prev := restel.SetDefault(m)
	t.Cleanup(func() { restel.SetDefault(prev) })
	if restel.Default() != m {
		t.Fatal("SetDefault did not replace the default monitor")
	}
	if got := restel.Default().CurrentSnapshot(time.Hour).BatteryPct; got != provider.Some[uint8](90) {
		t.Fatalf("before a push: battery %v, want the provider's 90", got)
	}
	restel.Host().SetBatteryLevel(33)
	restel.Host().SetThermalState(provider.ThermalHot)
	s := restel.Default().CurrentSnapshot(time.Hour)
	if s.BatteryPct != provider.Some[uint8](33) || s.Thermal != provider.ThermalHot {
		t.Fatalf("after pushes: battery %v thermal %v, want 33 and hot", s.BatteryPct, s.Thermal)
	}
	restel.Host().ClearBatteryLevel()
	if got := restel.Default().CurrentSnapshot(time.Hour).BatteryPct; got != provider.Some[uint8](90) {
		t.Fatalf("after clearing: battery %v, want the provider's 90 again", got)
	}
}

// A monitor Default built owns the native provider under it: closing the
// monitor (after SetDefault handed it back) closes the provider's files.
// Built and dropped over and over, the process's descriptors stay put.
func TestDefaultClosesItsProvider(t *testing.T) {
	if runtime.GOOS != "linux" {
		// Under Wine, /proc/self/fd is the Wine process's table, not the
		// Windows program's handles.
		t.Skip("counts the descriptors of /proc/self/fd: Linux only")
	}
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd to count descriptors:", err)
	}
	prev := restel.SetDefault(nil)
	t.Cleanup(func() { restel.SetDefault(prev) })
	fds := func() int {
		t.Helper()
		e, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(e)
	}
	cycle := func() {
		restel.Default().CurrentSnapshot(0)
		if err := restel.SetDefault(nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
	cycle() // anything opened once per process (the runtime's, say) is open now
	before := fds()
	const n = 50
	for range n {
		cycle()
	}
	if after := fds(); after > before {
		t.Fatalf("%d descriptors after %d Default/SetDefault/Close cycles, %d before: the native provider's files leak", after, n, before)
	}
}

// Closing the default monitor is a documented state, not a trap: the
// next Default builds a fresh one that reads and samples, while the
// closed one keeps answering with its last snapshot and samples no run.
func TestDefaultAfterClose(t *testing.T) {
	reads := 0
	m := orchestrator.New(provider.Func(func(context.Context) (provider.Snapshot, error) {
		reads++
		return provider.Snapshot{CPUPct: provider.Some(10.0), CapturedAtMS: time.Now().UnixMilli()}, nil
	}), orchestrator.WithHost(restel.Host()))
	prev := restel.SetDefault(m)
	t.Cleanup(func() { restel.SetDefault(prev) })
	if restel.Default() != m || m.Closed() {
		t.Fatal("SetDefault did not take")
	}
	restel.Default().Close()
	if !m.Closed() {
		t.Fatal("Close did not close")
	}
	fresh := restel.Default()
	defer fresh.Close()
	if fresh == m || fresh.Closed() || restel.Default() != fresh {
		t.Fatal("Default after Close returned the closed monitor or more than one")
	}
	if _, ok := fresh.BeginRun(t.Context(), aggregate.ModeBoundary).Finish(); !ok {
		t.Fatal("a run on the fresh default yielded nothing")
	}
	n := reads
	if _, ok := m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish(); ok || reads != n {
		t.Fatal("a run on the closed monitor sampled")
	}
	var nilM *orchestrator.Monitor
	if nilM.Closed() {
		t.Fatal("a nil monitor reports closed")
	}
}
