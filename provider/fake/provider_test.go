package fake_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func parse(t *testing.T, src string) *fake.Trace {
	t.Helper()
	tr, err := fake.Parse("t.trace", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tr
}

var epoch = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const story = `
@0s    cpu=12.5 rss=100 avail=8000 total=16000 thermal=normal battery=80
@250ms cpu=90 rss=500 avail=1000 thermal=hot
@400ms pressure=critical
@600ms error=sysfs read failed
@900ms cpu=- battery=78 pressure=-
@1.2s  end
`

func TestProviderReadsTheTraceOnItsClock(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	p := fake.New(parse(t, story), fake.WithClock(clk))
	at := func(ms int64) int64 { return epoch.UnixMilli() + ms }
	for _, tc := range []struct {
		offset  time.Duration
		want    provider.Snapshot
		wantErr string
	}{
		{0, provider.Snapshot{
			CPUPct: provider.Some(12.5), ProcessRSSMB: provider.Some[uint64](100), AvailableMemMB: provider.Some[uint64](8000),
			TotalMemMB: provider.Some[uint64](16000), MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalNormal,
			BatteryPct: provider.Some[uint8](80), CapturedAtMS: at(0),
		}, ""},
		{300 * time.Millisecond, provider.Snapshot{
			CPUPct: provider.Some(90.0), ProcessRSSMB: provider.Some[uint64](500), AvailableMemMB: provider.Some[uint64](1000),
			TotalMemMB: provider.Some[uint64](16000), MemoryPressure: provider.MemoryPressureWarn, Thermal: provider.ThermalHot,
			BatteryPct: provider.Some[uint8](80), CapturedAtMS: at(300),
		}, ""},
		// The native signal raises the derived warn to critical.
		{400 * time.Millisecond, provider.Snapshot{
			CPUPct: provider.Some(90.0), ProcessRSSMB: provider.Some[uint64](500), AvailableMemMB: provider.Some[uint64](1000),
			TotalMemMB: provider.Some[uint64](16000), MemoryPressure: provider.MemoryPressureCritical, Thermal: provider.ThermalHot,
			BatteryPct: provider.Some[uint8](80), CapturedAtMS: at(400),
		}, ""},
		{600 * time.Millisecond, provider.Unknown(epoch.Add(600 * time.Millisecond)), "sysfs read failed"},
		{899 * time.Millisecond, provider.Unknown(epoch.Add(899 * time.Millisecond)), "sysfs read failed"},
		// After the span: pressure back to derived (warn), cpu unknown.
		{2 * time.Second, provider.Snapshot{
			ProcessRSSMB: provider.Some[uint64](500), AvailableMemMB: provider.Some[uint64](1000),
			TotalMemMB: provider.Some[uint64](16000), MemoryPressure: provider.MemoryPressureWarn, Thermal: provider.ThermalHot,
			BatteryPct: provider.Some[uint8](78), CapturedAtMS: at(2000),
		}, ""},
	} {
		clk.Set(epoch.Add(tc.offset))
		got, err := p.Snapshot(context.Background())
		if tc.wantErr == "" && err != nil {
			t.Errorf("@%v: unexpected error %v", tc.offset, err)
		}
		if tc.wantErr != "" && (!errors.Is(err, fake.ErrInjected) || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("@%v: error %v, want ErrInjected carrying %q", tc.offset, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("@%v (-want +got):\n%s", tc.offset, diff)
		}
	}
	if got := p.Reads(); got != 6 {
		t.Errorf("Reads = %d, want 6", got)
	}
	if got := p.Offset(); got != 2*time.Second {
		t.Errorf("Offset = %v, want 2s", got)
	}
}

func TestProviderDelayOnManualClock(t *testing.T) {
	tr := parse(t, "@0s cpu=1 delay=300ms\n@100ms cpu=2\n@1s delay=0s\n")
	clk := fake.NewManualClock(epoch)
	p := fake.New(tr, fake.WithClock(clk))
	s, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The read starts at 0 (cpu=1), takes 300 ms, and is stamped at the end.
	if s.CPUPct != provider.Some(1.0) || s.CapturedAtMS != epoch.UnixMilli()+300 || clk.Now() != epoch.Add(300*time.Millisecond) {
		t.Errorf("delayed read = cpu %v at %d, clock %v; want cpu 1 at +300ms", s.CPUPct, s.CapturedAtMS-epoch.UnixMilli(), clk.Now().Sub(epoch))
	}
	clk.Set(epoch.Add(time.Second))
	if s, _ := p.Snapshot(context.Background()); s.CapturedAtMS != epoch.UnixMilli()+1000 {
		t.Errorf("delay=0s read stamped at +%dms, want +1000ms", s.CapturedAtMS-epoch.UnixMilli())
	}

	// An already-cancelled read does not advance the clock.
	clk.Set(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err = p.Snapshot(ctx)
	if !errors.Is(err, context.Canceled) || s != provider.Unknown(epoch) || clk.Now() != epoch {
		t.Errorf("cancelled delayed read = %+v, %v, clock +%v; want unknown, context.Canceled, clock unmoved", s, err, clk.Now().Sub(epoch))
	}
	// Without a delay nothing waits, so a cancelled context does not matter.
	clk.Set(epoch.Add(time.Second))
	if s, err := p.Snapshot(ctx); err != nil || s.CPUPct != provider.Some(2.0) {
		t.Errorf("undelayed read with cancelled ctx = %+v, %v; want cpu 2, nil", s, err)
	}
}

func TestProviderDelayAndErrorCombine(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	p := fake.New(parse(t, "@0s cpu=1 delay=2s error=EC timeout\n"), fake.WithClock(clk))
	s, err := p.Snapshot(context.Background())
	if !errors.Is(err, fake.ErrInjected) || !strings.Contains(err.Error(), "EC timeout") {
		t.Errorf("error = %v, want ErrInjected carrying EC timeout", err)
	}
	if want := provider.Unknown(epoch.Add(2 * time.Second)); s != want {
		t.Errorf("snapshot = %+v, want %+v", s, want)
	}
}

func TestProviderSystemClockInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := parse(t, "@0s cpu=5 thermal=warm battery=50\n@1s cpu=6 delay=1h\n@2s end\n")
		p := fake.New(tr) // SystemClock: the bubble's fake time
		start := time.Now()
		if s, err := p.Snapshot(t.Context()); err != nil || s.CPUPct != provider.Some(5.0) || s.CapturedAtMS != start.UnixMilli() {
			t.Errorf("read at 0 = %+v, %v", s, err)
		}
		time.Sleep(time.Second)
		s, err := p.Snapshot(t.Context())
		if err != nil || s.CPUPct != provider.Some(6.0) {
			t.Errorf("delayed read = %+v, %v", s, err)
		}
		if got := time.Since(start); got != time.Hour+time.Second {
			t.Errorf("delayed read returned after %v, want 1h1s", got)
		}

		// A read blocked in its delay returns as soon as ctx is cancelled.
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		var got provider.Snapshot
		var gotErr error
		wg.Go(func() { got, gotErr = p.Snapshot(ctx) })
		synctest.Wait()
		before := time.Now()
		cancel()
		wg.Wait()
		if !errors.Is(gotErr, context.Canceled) || got != provider.Unknown(before) || time.Since(before) != 0 {
			t.Errorf("cancelled read = %+v, %v after %v; want unknown, context.Canceled, at once", got, gotErr, time.Since(before))
		}
		// So does a slow-signal read.
		ctx, cancel = context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if th, err := p.Thermal(ctx); th != provider.ThermalUnknown || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Thermal under a 1m deadline with delay=1h = %v, %v", th, err)
		}
	})
}

func TestSlowSignals(t *testing.T) {
	tr := parse(t, "@0s cpu=5 thermal=hot battery=40\n@1s error=EC busy\n@2s battery=-\n")
	for _, slow := range []bool{false, true} {
		clk := fake.NewManualClock(epoch)
		opts := []fake.Option{fake.WithClock(clk)}
		if slow {
			opts = append(opts, fake.WithSlowSignals())
		}
		p := fake.New(tr, opts...)
		ctx := context.Background()
		s, err := p.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantThermal, wantBattery := provider.ThermalHot, provider.Some[uint8](40)
		if slow {
			wantThermal, wantBattery = provider.ThermalUnknown, provider.Opt[uint8]{}
		}
		if s.Thermal != wantThermal || s.BatteryPct != wantBattery {
			t.Errorf("slow=%v: snapshot thermal %v battery %v, want %v %v", slow, s.Thermal, s.BatteryPct, wantThermal, wantBattery)
		}
		if th, err := p.Thermal(ctx); th != provider.ThermalHot || err != nil {
			t.Errorf("slow=%v: Thermal = %v, %v", slow, th, err)
		}
		if b, err := p.Battery(ctx); b != provider.Some[uint8](40) || err != nil {
			t.Errorf("slow=%v: Battery = %v, %v", slow, b, err)
		}
		clk.Set(epoch.Add(time.Second))
		if th, err := p.Thermal(ctx); th != provider.ThermalUnknown || !errors.Is(err, fake.ErrInjected) {
			t.Errorf("slow=%v: Thermal in error span = %v, %v", slow, th, err)
		}
		if b, err := p.Battery(ctx); b.Valid || !errors.Is(err, fake.ErrInjected) {
			t.Errorf("slow=%v: Battery in error span = %v, %v", slow, b, err)
		}
		clk.Set(epoch.Add(2 * time.Second))
		if b, err := p.Battery(ctx); b.Valid || err != nil {
			t.Errorf("slow=%v: Battery after battery=- = %v, %v; want unknown, nil", slow, b, err)
		}
		if p.Reads() != 1 || p.SlowReads() != 5 {
			t.Errorf("slow=%v: Reads %d SlowReads %d, want 1 and 5", slow, p.Reads(), p.SlowReads())
		}
	}
}

func TestReadsCountsConcurrentCalls(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	p := fake.New(parse(t, "@0s cpu=1 delay=1ms\n@1s cpu=2\n"), fake.WithClock(clk))
	const workers, calls = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range calls {
				if _, err := p.Snapshot(context.Background()); err != nil {
					t.Error(err)
					return
				}
				clk.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	if got := p.Reads(); got != workers*calls {
		t.Errorf("Reads = %d, want %d", got, workers*calls)
	}
}

func TestNewNilTraceAndOptions(t *testing.T) {
	clk := fake.NewManualClock(epoch)
	p := fake.New(nil, nil, fake.WithClock(nil), fake.WithClock(clk))
	if s, err := p.Snapshot(context.Background()); err != nil || s != provider.Unknown(epoch) {
		t.Errorf("nil trace snapshot = %+v, %v; want all unknown", s, err)
	}
}

func TestReplaySeeks(t *testing.T) {
	r := fake.NewReplay(parse(t, story))
	if r.End() != 1200*time.Millisecond {
		t.Errorf("End = %v", r.End())
	}
	r.Seek(250 * time.Millisecond)
	s, err := r.Snapshot(context.Background())
	if err != nil || s.CPUPct != provider.Some(90.0) || s.CapturedAtMS != 250 {
		t.Errorf("after Seek(250ms): %+v, %v; want cpu 90 captured at 250", s, err)
	}
	r.Seek(0) // seeking backwards is allowed
	if s, _ := r.Snapshot(context.Background()); s.CPUPct != provider.Some(12.5) || r.Clock().Now() != time.Unix(0, 0) {
		t.Errorf("after Seek(0): %+v", s)
	}
	if r.Reads() != 2 {
		t.Errorf("Reads = %d", r.Reads())
	}
}

func TestManualClock(t *testing.T) {
	c := fake.NewManualClock(epoch)
	c.Advance(time.Second)
	c.Advance(-time.Hour) // ignored
	if got := c.Now().Sub(epoch); got != time.Second {
		t.Errorf("after Advance: +%v", got)
	}
	if err := c.Sleep(context.Background(), 2*time.Second); err != nil || c.Now().Sub(epoch) != 3*time.Second {
		t.Errorf("Sleep = %v, clock +%v", err, c.Now().Sub(epoch))
	}
	c.Set(epoch.Add(-time.Minute))
	if got := c.Now().Sub(epoch); got != -time.Minute {
		t.Errorf("after Set: %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || c.Now().Sub(epoch) != -time.Minute {
		t.Errorf("cancelled Sleep = %v, clock %v", err, c.Now().Sub(epoch))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now().Sub(epoch); got != -time.Minute+400*time.Millisecond {
		t.Errorf("after concurrent Advance: %v", got)
	}
}

func TestSystemClockSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c fake.SystemClock
		start := c.Now()
		if err := c.Sleep(t.Context(), 5*time.Second); err != nil || time.Since(start) != 5*time.Second {
			t.Errorf("Sleep(5s) = %v after %v", err, time.Since(start))
		}
		if err := c.Sleep(t.Context(), 0); err != nil {
			t.Errorf("Sleep(0) = %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := c.Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("Sleep(cancelled, 0) = %v", err)
		}
		if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || time.Since(start) != 5*time.Second {
			t.Errorf("Sleep(cancelled, 1h) = %v", err)
		}
	})
}
