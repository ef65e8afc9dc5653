package providertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/restel/restel/provider"
)

// recorder is a tester that records what the suite reports instead of
// failing the test running it. Subtests run on their own goroutines, as
// testing's do, so Fatalf and Skip can end them with runtime.Goexit.
type recorder struct {
	name     string
	log      *report
	mu       sync.Mutex
	cleanups []func()
}

// report is what a recorded suite run said, shared by every subtest.
type report struct {
	mu      sync.Mutex
	entries []string // "Subtest: KIND: message"
}

func (r *report) add(name, kind, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, name+": "+kind+": "+msg)
}

// kinds returns the entries of one kind ("ERROR", "FATAL", "SKIP").
func (r *report) kinds(kind string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.entries {
		if strings.Contains(e, ": "+kind+": ") {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) Helper() {}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recorder) Errorf(format string, args ...any) {
	r.log.add(r.name, "ERROR", fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.log.add(r.name, "FATAL", fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Logf(string, ...any) {}

func (r *recorder) Skip(args ...any) {
	r.log.add(r.name, "SKIP", fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) Run(name string, f func(t tester)) bool {
	sub := &recorder{name: strings.TrimPrefix(r.name+"/"+name, "/"), log: r.log}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for i := len(sub.cleanups) - 1; i >= 0; i-- {
				sub.cleanups[i]()
			}
		}()
		f(sub)
	}()
	<-done
	return true
}

// runRecorded runs the suite on providers made by newProvider inside a
// synctest bubble (so the watchdog's 10 s pass in no real time) and
// returns what it reported. release is closed once the suite is done, to
// free calls the suite abandoned as hung.
func runRecorded(t *testing.T, newProvider func(release <-chan struct{}) provider.SnapshotProvider) *report {
	t.Helper()
	log := &report{}
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer synctest.Wait() // the abandoned calls return
		defer close(release)
		run(&recorder{log: log}, func(tester) provider.SnapshotProvider { return newProvider(release) })
	})
	return log
}

// snap is a conforming snapshot that broken providers bend.
var snap = provider.Snapshot{
	CPUPct: provider.Some(40.0), ProcessRSSMB: provider.Some[uint64](100),
	AvailableMemMB: provider.Some[uint64](4000), TotalMemMB: provider.Some[uint64](8000),
	MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalWarm,
	BatteryPct: provider.Some[uint8](50), CapturedAtMS: 1,
}

func returning(mutate func(*provider.Snapshot)) func(<-chan struct{}) provider.SnapshotProvider {
	s := snap
	mutate(&s)
	return func(<-chan struct{}) provider.SnapshotProvider {
		return provider.Func(func(context.Context) (provider.Snapshot, error) { return s, nil })
	}
}

// slow adds optional capabilities to a good Snapshot.
type slow struct {
	provider.Func
	thermal func() provider.ThermalState
	battery func() provider.Opt[uint8]
}

func (s slow) Thermal(context.Context) (provider.ThermalState, error) { return s.thermal(), nil }
func (s slow) Battery(context.Context) (provider.Opt[uint8], error)   { return s.battery(), nil }

// closer is a good provider whose Close and post-Close reads misbehave.
type closer struct {
	provider.Func
	closeFn func()
}

func (c closer) Close() error { c.closeFn(); return nil }

var good = provider.Func(func(context.Context) (provider.Snapshot, error) { return snap, nil })

// everyRead is where a bad snapshot shows: every subtest that reads one.
func everyRead(frag string) map[string]string {
	return map[string]string{"Snapshot": frag, "CancelledContext": frag, "Concurrent": frag}
}

// TestSuiteReportsBrokenProviders runs the suite against providers that
// each break one rule and checks it names the rule in the right subtests.
func TestSuiteReportsBrokenProviders(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func(release <-chan struct{}) provider.SnapshotProvider
		// want maps a subtest to a fragment its ERROR or FATAL must hold.
		want map[string]string
	}{
		{
			name: "cpu 150",
			new:  returning(func(s *provider.Snapshot) { s.CPUPct = provider.Some(150.0) }),
			want: everyRead("cpu_pct 150 outside [0, 100]"),
		},
		{
			name: "zero as unknown total",
			new: returning(func(s *provider.Snapshot) {
				s.TotalMemMB, s.AvailableMemMB, s.MemoryPressure = provider.Some[uint64](0), provider.Opt[uint64]{}, provider.MemoryPressureUnknown
			}),
			want: everyRead("total_mem_mb is a known 0: report unknown instead"),
		},
		{
			name: "pressure below derived",
			// 100 of 8000 MiB is 1.25 %: critical, whatever a native signal says.
			new:  returning(func(s *provider.Snapshot) { s.AvailableMemMB = provider.Some[uint64](100) }),
			want: everyRead("memory_pressure normal below critical derived from available 100 / total 8000 MiB"),
		},
		{
			name: "battery 101",
			new:  returning(func(s *provider.Snapshot) { s.BatteryPct = provider.Some[uint8](101) }),
			want: everyRead("battery_pct 101 above 100"),
		},
		{
			name: "negative time",
			new:  returning(func(s *provider.Snapshot) { s.CapturedAtMS = -5 }),
			want: everyRead("captured_at_ms -5 is negative"),
		},
		{
			name: "ignores ctx and hangs",
			new: func(release <-chan struct{}) provider.SnapshotProvider {
				return provider.Func(func(context.Context) (provider.Snapshot, error) {
					<-release
					return snap, nil
				})
			},
			want: map[string]string{
				"Snapshot":         "did not return within 10s",
				"CancelledContext": "cancelled context: did not return",
				"Concurrent":       "did not return",
			},
		},
		{
			name: "panics",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				return provider.Func(func(context.Context) (provider.Snapshot, error) { panic("nil map") })
			},
			want: map[string]string{"Snapshot": "panicked: nil map", "CancelledContext": "panicked", "Concurrent": "panicked"},
		},
		{
			name: "thermal out of range",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				return slow{good, func() provider.ThermalState { return 9 }, func() provider.Opt[uint8] { return snap.BatteryPct }}
			},
			want: map[string]string{"ThermalReader": "Thermal: state ThermalState(9) is not a known state", "Concurrent": "Thermal: state"},
		},
		{
			name: "battery reader 200",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				return slow{good, func() provider.ThermalState { return provider.ThermalHot }, func() provider.Opt[uint8] { return provider.Some[uint8](200) }}
			},
			want: map[string]string{"BatteryReader": "Battery: 200 above 100", "Concurrent": "Battery: 200"},
		},
		{
			name: "thermal reader panics",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				return slow{good, func() provider.ThermalState { panic("EC gone") }, func() provider.Opt[uint8] { return snap.BatteryPct }}
			},
			want: map[string]string{"ThermalReader": "Thermal: panicked: EC gone", "Concurrent": "Thermal: panicked: EC gone"},
		},
		{
			name: "second Close panics",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				var once sync.Once
				var closed bool
				return closer{good, func() {
					if closed {
						panic("close of closed channel")
					}
					once.Do(func() { closed = true })
				}}
			},
			want: map[string]string{"Close": "Close #2: panicked: close of closed channel"},
		},
		{
			name: "read after Close panics",
			new: func(<-chan struct{}) provider.SnapshotProvider {
				var mu sync.Mutex
				var closed bool
				return closer{
					provider.Func(func(context.Context) (provider.Snapshot, error) {
						mu.Lock()
						defer mu.Unlock()
						if closed {
							panic("read of a closed /proc handle")
						}
						return snap, nil
					}),
					func() { mu.Lock(); closed = true; mu.Unlock() },
				}
			},
			want: map[string]string{"Close": "Snapshot after Close: panicked"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := runRecorded(t, tc.new)
			failures := append(log.kinds("ERROR"), log.kinds("FATAL")...)
			for sub, frag := range tc.want {
				found := false
				for _, f := range failures {
					if strings.HasPrefix(f, sub+": ") && strings.Contains(f, frag) {
						found = true
					}
				}
				if !found {
					t.Errorf("subtest %s did not report %q; the suite reported:\n%s", sub, frag, strings.Join(failures, "\n"))
				}
			}
			unexpected := map[string]string{}
			for _, f := range failures {
				if sub, _, _ := strings.Cut(f, ": "); tc.want[sub] == "" {
					unexpected[sub] = f
				}
			}
			for sub, f := range unexpected {
				t.Errorf("unexpected failure in subtest %s: %s", sub, f)
			}
		})
	}
}

// TestSuitePassesGoodProvider: a conforming provider without optional
// capabilities fails nothing and skips the capability subtests.
func TestSuitePassesGoodProvider(t *testing.T) {
	log := runRecorded(t, func(<-chan struct{}) provider.SnapshotProvider { return good })
	if f := append(log.kinds("ERROR"), log.kinds("FATAL")...); len(f) != 0 {
		t.Errorf("a good provider failed:\n%s", strings.Join(f, "\n"))
	}
	skips := log.kinds("SKIP")
	if len(skips) != 3 {
		t.Errorf("skipped %q, want ThermalReader, BatteryReader and Close", skips)
	}
	// An error from the provider is allowed: the all-unknown snapshot with
	// an error is how a failing read degrades.
	log = runRecorded(t, func(<-chan struct{}) provider.SnapshotProvider {
		return provider.Func(func(context.Context) (provider.Snapshot, error) {
			return provider.Snapshot{}, errors.New("EIO")
		})
	})
	if f := append(log.kinds("ERROR"), log.kinds("FATAL")...); len(f) != 0 {
		t.Errorf("a failing-but-honest provider failed:\n%s", strings.Join(f, "\n"))
	}
}

// racyEnv makes the test binary, re-executed by TestSuiteCatchesRace, run
// the suite on a provider with a data race.
const racyEnv = "PROVIDERTEST_RACY_CHILD"

// racy keeps an unsynchronized read counter, as a provider caching its
// last CPU counters without a lock would.
type racy struct{ reads int }

func (r *racy) Snapshot(context.Context) (provider.Snapshot, error) {
	r.reads++
	s := snap
	s.CapturedAtMS = int64(r.reads)
	return s, nil
}

// TestSuiteCatchesRace re-executes the test binary (built with -race) to
// run the suite on a racy provider: the Concurrent subtest's parallel
// reads make the race detector fail it.
func TestSuiteCatchesRace(t *testing.T) {
	if os.Getenv(racyEnv) == "1" {
		Run(t, func(*testing.T) provider.SnapshotProvider { return &racy{} })
		return
	}
	if !raceEnabled {
		t.Skip("needs -race")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesRace$", "-test.v")
	cmd.Env = append(os.Environ(), racyEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want a failing exit:\n%s", err, out)
	}
	for _, want := range []string{"WARNING: DATA RACE", "--- FAIL: TestSuiteCatchesRace/Concurrent"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}
