package orchestrator

import (
	"context"
	"math"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// capDevice is a device whose capacity a test scripts: a 2-CPU cgroup
// quota on an 8-CPU host, a memory-limited container, and one sensor
// whose temperature rises 0.5 °C a second from 50 °C at start.
type capDevice struct {
	start    time.Time
	mu       sync.Mutex
	reads    int
	state    provider.ThermalState
	noSensor bool
}

func (d *capDevice) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{AvailableMemMB: provider.Some[uint64](6000), TotalMemMB: provider.Some[uint64](16000), CapturedAtMS: time.Now().UnixMilli()}, nil
}

func (d *capDevice) Thermal(context.Context) (provider.ThermalState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state, nil
}

func (d *capDevice) Capacity(_ context.Context, c *provider.Capacity) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	c.Reset()
	c.CPULimits = append(c.CPULimits, provider.CPULimit{By: "cgroup:/pod", CPUs: 2}, provider.CPULimit{By: "host", CPUs: 8})
	c.Throttle = provider.Some(provider.ThrottleCounts{By: "cgroup:/pod", Periods: uint64(10 * d.reads), Throttled: uint64(5 * d.reads)})
	c.MemLimits = append(c.MemLimits, provider.MemLimit{By: "cgroup:/pod", AvailMB: 1500}, provider.MemLimit{By: "host", AvailMB: 6000})
	if !d.noSensor {
		c.Sensors = append(c.Sensors, provider.ThermalReading{Sensor: "z0", Celsius: 50 + 0.5*time.Since(d.start).Seconds(), SevereC: 85})
	}
	return nil
}

func TestMonitorHeadroom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &capDevice{start: time.Now()}
		m := New(d, WithHost(&HostState{}))
		defer m.Close()
		m.Prewarm()
		h := m.Headroom(10 * time.Second)
		if h.EffectiveCPUs != provider.Some(2.0) || h.CPULimitBy != "cgroup:/pod" || h.UsableMemMB != provider.Some[uint64](1500) || h.MemLimitBy != "cgroup:/pod" {
			t.Fatalf("after Prewarm: %+v", h)
		}
		for range 20 {
			time.Sleep(time.Second)
			synctest.Wait()
		}
		h = m.Headroom(10 * time.Second)
		if h.ThrottledRatio != provider.Some(0.5) {
			t.Errorf("throttle ratio %+v, want 0.5", h.ThrottledRatio)
		}
		// The ramp's slope is 0.5 °C/s: 10 s ahead is 5 °C hotter, 1/6 of
		// headroom, whatever the instant of the last read.
		if !h.Thermal.Valid || !h.ThermalForecast.Valid || math.Abs(h.ThermalForecast.V-h.Thermal.V-5.0/30) > 1e-9 {
			t.Errorf("thermal %+v forecast %+v: want the forecast 5 °C (1/6) above", h.Thermal, h.ThermalForecast)
		}
		if want := headroom.FromCelsius(50+0.5*20, 85); math.Abs(h.Thermal.V-want) > 0.5/30 {
			t.Errorf("thermal now %v, want about %v", h.Thermal.V, want)
		}
		if h60 := m.Headroom(2 * time.Minute); h60.Forecast != time.Minute || math.Abs(h60.ThermalForecast.V-h60.Thermal.V-1) > 1e-9 {
			t.Errorf("a 2 min horizon: %+v, want clamped to 60 s (30 °C, 1.0 ahead)", h60)
		}
		// Android's own headroom, pushed by the host, is used as given.
		m.cfg.host.SetThermalHeadroom(0.4, 0.9, 30*time.Second)
		if h = m.Headroom(10 * time.Second); h.Thermal != provider.Some(0.4) || h.ThermalForecast != provider.Some(0.9) || h.Forecast != 30*time.Second {
			t.Errorf("pushed headroom: %+v", h)
		}
		m.cfg.host.SetThermalHeadroom(math.NaN(), 1, time.Second)
		if h = m.Headroom(0); h.Thermal == provider.Some(0.4) {
			t.Error("a NaN push did not clear the pushed headroom")
		}
	})
}

// A device whose sensors give only levels: the band of the level.
func TestMonitorHeadroomLevels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &capDevice{start: time.Now(), noSensor: true, state: provider.ThermalHot}
		m := New(d)
		defer m.Close()
		m.Prewarm()
		if h := m.Headroom(time.Second); h.Thermal != provider.Some(1.0) || h.ThermalForecast != provider.Some(1.0) {
			t.Errorf("levels only: %+v", h)
		}
	})
}

// A provider that cannot read its capacity is bounded by the host alone.
func TestMonitorHeadroomWithoutCapacity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := provider.Func(func(context.Context) (provider.Snapshot, error) {
			return provider.Snapshot{AvailableMemMB: provider.Some[uint64](3000), TotalMemMB: provider.Some[uint64](8000), Thermal: provider.ThermalWarm}, nil
		})
		m := New(p)
		defer m.Close()
		if h := m.Headroom(5 * time.Second); h.UsableMemMB.Valid || h.Thermal.Valid {
			t.Errorf("before any read: %+v; Headroom never reads the provider", h)
		}
		m.CurrentSnapshot(0)
		h := m.Headroom(5 * time.Second)
		if h.EffectiveCPUs != provider.Some(float64(runtime.NumCPU())) || h.CPULimitBy != "host" || h.UsableMemMB != provider.Some[uint64](3000) || h.MemLimitBy != "host" {
			t.Errorf("host fallback: %+v", h)
		}
		if h.Thermal != provider.Some(2.0/3) || h.Forecast != 5*time.Second {
			t.Errorf("thermal from the state: %+v", h)
		}
		var nilM *Monitor
		if h := nilM.Headroom(time.Second); h.EffectiveCPUs.Valid {
			t.Errorf("nil monitor: %+v", h)
		}
	})
}

// BenchmarkHeadroomCachedVsTimeNow interleaves blocks of cached Headroom
// calls with blocks of time.Now() calls: x-timenow is a call's time as a
// multiple of one time.Now() (the bound is 1.5).
func BenchmarkHeadroomCachedVsTimeNow(b *testing.B) {
	d := &capDevice{start: time.Now()}
	m := New(d, WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	benchVsTimeNow(b, func() { sinkHeadroom = m.Headroom(10 * time.Second) })
}

var sinkHeadroom headroom.Headroom

func TestHeadroomAllocs(t *testing.T) {
	d := &capDevice{start: time.Now()}
	m := New(d, WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	if n := testing.AllocsPerRun(100, func() { sinkHeadroom = m.Headroom(10 * time.Second) }); n != 0 {
		t.Errorf("Headroom allocates %v times", n)
	}
}

// gpuOnly reads its accelerators but not its limits (the macOS and
// Windows providers): device memory from the accelerators, the rest from
// the host.
type gpuOnly struct{}

func (gpuOnly) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{AvailableMemMB: provider.Some[uint64](7000), TotalMemMB: provider.Some[uint64](16000)}, nil
}

func (gpuOnly) Accelerators(_ context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return append(dst, provider.Accelerator{Name: "gpu0", MemTotalMB: provider.Some[uint64](8192), MemUsedMB: provider.Some[uint64](2048)}), nil
}

func TestMonitorHeadroomAcceleratorsOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New(gpuOnly{})
		defer m.Close()
		m.Prewarm()
		h := m.Headroom(0)
		if h.UsableGPUMemMB != provider.Some[uint64](6144) || h.GPULimitBy != "gpu:gpu0" {
			t.Errorf("device memory %+v by %q", h.UsableGPUMemMB, h.GPULimitBy)
		}
		if h.UsableMemMB != provider.Some[uint64](7000) || h.MemLimitBy != "host" || h.CPULimitBy != "host" {
			t.Errorf("host figures %+v", h)
		}
	})
}
