package orchestrator

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

const ttlTrace = `
@0s     cpu=10 rss=100 avail=8000 total=16000
@300ms  cpu=20
@700ms  cpu=30
@2s     end
`

func cpu(s provider.Snapshot) float64 { return s.CPUPct.Or(-1) }

func TestCurrentSnapshotTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, ttlTrace))
		m := newMonitor(t, provider.Func(p.Snapshot))
		if got := cpu(m.CurrentSnapshot(500 * time.Millisecond)); got != 10 {
			t.Fatalf("cpu %v at 0, want 10", got)
		}
		time.Sleep(400 * time.Millisecond)
		assertNoProviderRead(t, p.Reads, "a snapshot within maxAge", func() {
			if got := cpu(m.CurrentSnapshot(500 * time.Millisecond)); got != 10 {
				t.Fatalf("at 400ms: cpu %v, want the cached 10", got)
			}
			if got := cpu(m.CurrentSnapshot(DefaultTTL)); got != 10 {
				t.Fatalf("Snapshot() with the 500ms default TTL: cpu %v, want the cached 10", got)
			}
		})
		time.Sleep(101 * time.Millisecond)
		if got := cpu(m.CurrentSnapshot(500 * time.Millisecond)); got != 20 {
			t.Fatalf("at 501ms: cpu %v, want a refresh to 20", got)
		}
		time.Sleep(200 * time.Millisecond)
		if got := cpu(m.CurrentSnapshot(0)); got != 30 {
			t.Fatalf("maxAge 0 at 701ms: cpu %v, want a forced refresh to 30", got)
		}
	})
}

func TestCurrentSnapshotCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=50 delay=20ms\n@1s end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		assertOneProviderRead(t, p.Reads, "100 concurrent misses", func() {
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					if got := cpu(m.CurrentSnapshot(0)); got != 50 {
						t.Errorf("cpu %v, want 50", got)
					}
				})
			}
			wg.Wait()
		})
	})
}

func TestCurrentSnapshotFaults(t *testing.T) {
	t.Run("trace-error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=30 total=8000\n@1s error=read /proc/meminfo: EIO\n@2s cpu=35\n@3s end\n"))
			m := newMonitor(t, provider.Func(p.Snapshot))
			time.Sleep(1500 * time.Millisecond)
			s := m.CurrentSnapshot(0)
			if s != provider.Unknown(time.Now()) {
				t.Fatalf("failing read gave %+v, want all-unknown", s)
			}
			if st := m.Stats(); st.Errors != 1 {
				t.Fatalf("stats %+v", st)
			}
			time.Sleep(time.Second)
			if got := cpu(m.CurrentSnapshot(0)); got != 35 {
				t.Fatalf("after the error span cpu %v, want 35", got)
			}
		})
	})
	t.Run("panic", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			m := newMonitor(t, provider.Func(func(context.Context) (provider.Snapshot, error) { panic("boom") }))
			if s := m.CurrentSnapshot(0); s != provider.Unknown(time.Now()) {
				t.Fatalf("panicking provider gave %+v", s)
			}
			r := m.BeginRun(t.Context(), aggregate.ModeBoundary)
			u, ok := r.Finish()
			if !ok || u.SampleCount != 2 || u.CPUAvgPct.Valid {
				t.Fatalf("boundary run on a panicking provider: %+v %v, want 2 unknown samples", u, ok)
			}
			if st := m.Stats(); st.Panics != 3 {
				t.Fatalf("stats %+v, want 3 panics", st)
			}
		})
	})
	t.Run("hang", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=40\n@1s delay=10m\n@20m end\n"))
			m := newMonitor(t, provider.Func(p.Snapshot), WithReadTimeout(30*time.Millisecond))
			m.CurrentSnapshot(0)
			time.Sleep(time.Second)
			start := time.Now()
			r := m.BeginRun(t.Context(), aggregate.ModeBoundary)
			u, ok := r.Finish()
			if d := time.Since(start); d != 30*time.Millisecond {
				t.Fatalf("a boundary run on a hung provider took %v, want the 30ms read timeout", d)
			}
			if !ok || u.SampleCount != 2 || u.CPUPeakPct != provider.Some(40.0) {
				t.Fatalf("got %+v %v, want the last snapshot twice", u, ok)
			}
			start = time.Now()
			m.Close() // cancels the hung read (the fake honours its context)
			if d := time.Since(start); d != 0 {
				t.Fatalf("Close waited %v", d)
			}
			if got := cpu(m.CurrentSnapshot(0)); got != 40 {
				t.Fatalf("after Close cpu %v, want the last good snapshot's 40", got)
			}
		})
	})
}

func TestSlowSignalsMerged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, `
@0s   cpu=5 thermal=normal battery=90
@1s   thermal=warm
@3s   thermal=hot
@31s  battery=85
@70s  end
`), fake.WithSlowSignals())
		m := newMonitor(t, p)
		// The first read starts the poller without waiting for it: its
		// first values may or may not land in that snapshot already.
		if s := m.CurrentSnapshot(0); cpu(s) != 5 || (s.Thermal != provider.ThermalUnknown && s.Thermal != provider.ThermalNormal) {
			t.Fatalf("first snapshot %+v", s)
		}
		m.Prewarm()
		s := m.CurrentSnapshot(0)
		if s.Thermal != provider.ThermalNormal || s.BatteryPct != provider.Some[uint8](90) {
			t.Fatalf("after Prewarm %+v, want polled normal and 90", s)
		}
		time.Sleep(1999 * time.Millisecond)
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalNormal {
			t.Fatalf("at 1.999s thermal %v, want normal (polled at 0)", s.Thermal)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalWarm {
			t.Fatalf("at 2s thermal %v, want warm", s.Thermal)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalHot {
			t.Fatalf("at 4s thermal %v, want hot", s.Thermal)
		}
		time.Sleep(56 * time.Second) // to 60s: battery polled at 30 (90) and 60 (85)
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.BatteryPct != provider.Some[uint8](85) {
			t.Fatalf("at 60s battery %v, want 85", s.BatteryPct)
		}
		// Thermal every 2s over [0, 60] = 31 reads; battery at 0, 30, 60 = 3.
		if got := p.SlowReads(); got != 34 {
			t.Fatalf("%d slow reads, want 34", got)
		}
		if st := m.Stats(); st.SlowReads != 34 || st.SlowErrors != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// slowSensor is a fast provider whose slow signals hang.
type slowSensor struct{ provider.Func }

func (slowSensor) Thermal(ctx context.Context) (provider.ThermalState, error) {
	<-ctx.Done()
	return provider.ThermalUnknown, ctx.Err()
}

func TestRefreshNeverWaitsOnSlowSignals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMonitor(t, slowSensor{func(context.Context) (provider.Snapshot, error) {
			return provider.Snapshot{CPUPct: provider.Some(7.0), Thermal: provider.ThermalWarm}, nil
		}})
		start := time.Now()
		for range 10 {
			s := m.CurrentSnapshot(0)
			if s.Thermal != provider.ThermalWarm || cpu(s) != 7 {
				t.Fatalf("snapshot %+v", s)
			}
			time.Sleep(3 * time.Second)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Fatalf("10 refreshes with hung thermal reads took %v of waiting", d-30*time.Second)
		}
		if st := m.Stats(); st.SlowErrors == 0 {
			t.Fatalf("stats %+v: hung thermal reads should time out as errors", st)
		}
	})
}

func TestModeEnvOverride(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    aggregate.Mode
		warning bool
	}{
		{"", aggregate.SummaryEvery(time.Second), false},
		{"off", aggregate.ModeOff, false},
		{"boundary", aggregate.ModeBoundary, false},
		{"summary:500ms", aggregate.SummaryEvery(500 * time.Millisecond), false},
		{"debug_local", aggregate.DebugLocalEvery(time.Second), false},
		{"summary:10ms", aggregate.SummaryEvery(250 * time.Millisecond), false},
		{"fast", aggregate.SummaryEvery(time.Second), true},
		{"boundary:1s", aggregate.SummaryEvery(time.Second), true},
		{"summary:-1s", aggregate.SummaryEvery(time.Second), true},
	} {
		t.Run(tc.env, func(t *testing.T) {
			var logs bytes.Buffer
			m := newMonitor(t, nil,
				WithGetenv(func(k string) string {
					if k != EnvMode {
						t.Errorf("read %q", k)
					}
					return tc.env
				}),
				WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			for range 3 {
				if got := m.ModeFromEnv(aggregate.SummaryEvery(time.Second)); got != tc.want {
					t.Fatalf("Mode = %v, want %v", got, tc.want)
				}
			}
			n := strings.Count(logs.String(), "level=WARN")
			switch {
			case tc.warning && n != 1:
				t.Fatalf("want exactly one warning for three calls, got logs %q", logs.String())
			case tc.warning && (!strings.Contains(logs.String(), EnvMode) || !strings.Contains(logs.String(), tc.env)):
				t.Fatalf("warning does not name the variable and value: %q", logs.String())
			case !tc.warning && n != 0:
				t.Fatalf("unexpected warning %q", logs.String())
			}
		})
	}
}

func TestModeEnvChanges(t *testing.T) {
	env := "boundary"
	var logs bytes.Buffer
	m := newMonitor(t, nil, WithGetenv(func(string) string { return env }),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if m.ModeFromEnv(aggregate.ModeOff) != aggregate.ModeBoundary {
		t.Fatal("boundary not applied")
	}
	env = "nope"
	if m.ModeFromEnv(aggregate.ModeOff) != aggregate.ModeOff || strings.Count(logs.String(), "WARN") != 1 {
		t.Fatalf("invalid value: logs %q", logs.String())
	}
	env = "summary"
	if m.ModeFromEnv(aggregate.ModeOff) != aggregate.SummaryEvery(0) {
		t.Fatal("changed value not re-read")
	}
	env = "nope"
	m.ModeFromEnv(aggregate.ModeOff)
	if strings.Count(logs.String(), "WARN") != 2 {
		t.Fatalf("an invalid value seen again after a valid one should warn again: %q", logs.String())
	}
}

// docs/contract.md §3: BeginRun (and so Stage) takes the mode it is given,
// whatever RESTEL_RESOURCE_TELEMETRY says; the override is ModeFromEnv's
// result, which a program passes on when it wants the environment to choose.
func TestBeginRunTakesItsMode(t *testing.T) {
	snap := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(10.0)}, nil
	})
	for _, tc := range []struct {
		env       string
		fromEnvOK bool
		fromEnv   string // the label of the run in ModeFromEnv(boundary)
		warned    bool
	}{
		{"", true, "boundary", false},
		{"off", false, "", false},
		{"summary:500ms", true, "summary", false},
		{"bogus", true, "boundary", true},
	} {
		t.Run(tc.env, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs bytes.Buffer
				m := newMonitor(t, snap, WithGetenv(func(string) string { return tc.env }),
					WithLogger(newTextLogger(&logs)))
				u, ok := m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish()
				if !ok || u.Mode.WireLabel() != "boundary" {
					t.Fatalf("env %q: BeginRun(boundary) gave ok %v mode %v; want the boundary it was given", tc.env, ok, u.Mode)
				}
				if logs.Len() != 0 {
					t.Fatalf("env %q: BeginRun read the environment: %q", tc.env, logs.String())
				}
				u, ok = m.BeginRun(t.Context(), m.ModeFromEnv(aggregate.ModeBoundary)).Finish()
				if ok != tc.fromEnvOK || (ok && u.Mode.WireLabel() != tc.fromEnv) {
					t.Fatalf("env %q: ok %v mode %v; want ok %v mode %s", tc.env, ok, u.Mode, tc.fromEnvOK, tc.fromEnv)
				}
				if got := strings.Contains(logs.String(), "WARN"); got != tc.warned {
					t.Fatalf("env %q: warning logged %v, want %v (%q)", tc.env, got, tc.warned, logs.String())
				}
			})
		})
	}
}

// The package-level ModeFromEnv reads the process environment.
func TestProcessModeFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want aggregate.Mode
	}{
		{"", aggregate.ModeBoundary},
		{"summary:500ms", aggregate.SummaryEvery(500 * time.Millisecond)},
		{"off", aggregate.ModeOff},
		{"nonsense", aggregate.ModeBoundary},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(EnvMode, tc.env)
			if got := ModeFromEnv(aggregate.ModeBoundary); got != tc.want {
				t.Fatalf("ModeFromEnv(boundary) with %q = %v, want %v", tc.env, got, tc.want)
			}
		})
	}
}

func TestNilProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMonitor(t, nil)
		if s := m.CurrentSnapshot(0); s != provider.Unknown(time.Now()) {
			t.Fatalf("nil provider gave %+v", s)
		}
		if m.Stats().Errors != 1 {
			t.Fatal("nil provider reads should count as errors")
		}
	})
}

func TestNilMonitor(t *testing.T) {
	var m *Monitor
	m.Prewarm()
	if r := m.BeginRun(t.Context(), aggregate.ModeBoundary); r != offRun {
		t.Fatal("nil monitor run")
	}
	if _, ok := <-m.Watch(t.Context(), time.Second); ok {
		t.Fatal("nil monitor Watch delivered")
	}
	if m.ModeFromEnv(aggregate.ModeBoundary) != aggregate.ModeBoundary || m.Close() != nil {
		t.Fatal("nil monitor Mode/Close")
	}
	_ = m.CurrentSnapshot(0)
	_ = m.CurrentSnapshot(DefaultTTL)
	if m.Stats() != (Stats{}) {
		t.Fatal("nil monitor stats")
	}
}

func TestCloseLifecycle(t *testing.T) {
	t.Run("unused", func(t *testing.T) {
		m := New(nil)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=1 thermal=hot\n@1s end\n"), fake.WithSlowSignals())
			m := New(p)
			m.Prewarm()
			m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() { m.Close() })
			}
			wg.Wait()
		})
	})
	t.Run("after", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=1\n@1s end\n"))
			m := New(provider.Func(p.Snapshot))
			m.CurrentSnapshot(0)
			m.Close()
			assertNoProviderRead(t, p.Reads, "a monitor after Close", func() {
				if got := cpu(m.CurrentSnapshot(0)); got != 1 {
					t.Fatalf("after Close: cpu %v, want the last snapshot", got)
				}
				for _, mode := range []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(0), aggregate.DebugLocalEvery(0)} {
					if _, ok := m.BeginRun(t.Context(), mode).Finish(); ok {
						t.Fatalf("%v run begun after Close yielded a summary", mode)
					}
				}
				if _, ok := <-m.Watch(t.Context(), time.Second); ok {
					t.Fatal("Watch after Close delivered")
				}
				m.Prewarm()
			})
			if n := testing.AllocsPerRun(100, func() {
				m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish()
			}); n != 0 {
				t.Fatalf("a run after Close allocates %v times", n)
			}
		})
	})
}

func TestErrNoProvider(t *testing.T) {
	_, err := unknownProvider{ErrNoProvider}.Snapshot(t.Context())
	if !errors.Is(err, ErrNoProvider) {
		t.Fatal(err)
	}
}

// The hot path allocates nothing: a cached read, a host push, an off run.
// A boundary run stays within its budget of 10 allocations; read on the
// caller's goroutine, as the live providers are, it makes five: its
// handle and record in one, and each of its two reads' flight and done
// channel.
func TestAllocations(t *testing.T) {
	p := fake.New(trace(t, "@0s cpu=10 rss=100\n@1h end\n"))
	h := &HostState{}
	m := newMonitor(t, provider.Func(p.Snapshot), WithHost(h))
	m.Prewarm()
	inline := newMonitor(t, provider.Func(p.Snapshot), WithHost(h), withInline)
	inline.Prewarm()
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"cached read", 0, func() { m.CurrentSnapshot(time.Hour) }},
		{"cached read with host push", 0, func() { h.SetThermalState(provider.ThermalHot); m.CurrentSnapshot(time.Hour) }},
		{"off run", 0, func() { m.BeginRun(t.Context(), aggregate.ModeOff).Finish() }},
		{"env override", 0, func() { m.ModeFromEnv(aggregate.ModeBoundary) }},
		{"boundary run", 10, func() { m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish() }},
		{"boundary run, inline", 5, func() { inline.BeginRun(t.Context(), aggregate.ModeBoundary).Finish() }},
	} {
		if n := testing.AllocsPerRun(200, tc.f); n > tc.max {
			t.Errorf("%s: %v allocations, want <= %v", tc.name, n, tc.max)
		}
	}
}
