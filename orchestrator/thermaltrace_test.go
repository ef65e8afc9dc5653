package orchestrator

import (
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// traceHorizons are the horizons live and replayed headroom are compared
// at.
var traceHorizons = []time.Duration{0, 10 * time.Second, 30 * time.Second, time.Minute}

// replayedHeadroom replays tr at one-second steps through a
// headroom.Tracker per horizon: the headroom at whole second k, horizon
// traceHorizons[i], is [k][i].
func replayedHeadroom(t *testing.T, tr *fake.Trace) [][]headroom.Headroom {
	t.Helper()
	r := fake.NewReplay(tr)
	trackers := make([]headroom.Tracker, len(traceHorizons))
	var (
		c   provider.Capacity
		out [][]headroom.Headroom
	)
	for off := time.Duration(0); off <= r.End(); off += time.Second {
		r.Seek(off)
		if err := r.ReadCapacity(t.Context(), &c); err != nil {
			t.Fatal(err)
		}
		state, _ := r.Thermal(t.Context())
		row := make([]headroom.Headroom, len(traceHorizons))
		for i, h := range traceHorizons {
			row[i] = trackers[i].Update(r.Now(), &c, nil, state, h)
		}
		out = append(out, row)
	}
	return out
}

// TestMonitorHeadroomAgreesWithReplay runs each thermal trace live — a
// Monitor polling the fake provider's capacity every second on the
// bubble's clock — and checks that Headroom, half a second after each
// poll, is what replaying the trace at one-second steps gives, at every
// horizon, figure for figure: live and replay keep agreeing.
func TestMonitorHeadroomAgreesWithReplay(t *testing.T) {
	for _, name := range []string{"thermal-ramp", "thermal-plateau", "thermal-short", "thermal-sensor-lost", "thermal-throttling"} {
		t.Run(name, func(t *testing.T) {
			tr, err := fake.ParseFile(filepath.Join("..", "testdata", "scripts", name+".trace"))
			if err != nil {
				t.Fatal(err)
			}
			want := replayedHeadroom(t, tr)
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				p := fake.New(tr)
				m := New(p.Capable())
				defer m.Close()
				m.Prewarm()
				for k := range want {
					time.Sleep(time.Until(start.Add(time.Duration(k)*time.Second + 500*time.Millisecond)))
					synctest.Wait()
					for i, h := range traceHorizons {
						if diff := cmp.Diff(want[k][i], m.Headroom(h)); diff != "" {
							t.Errorf("%d s, %v ahead (-replay +live):\n%s", k, h, diff)
						}
					}
				}
				if got := p.CapacityReads(); got < int64(len(want)) {
					t.Errorf("%d capacity reads in %d s", got, len(want))
				}
			})
		})
	}
}

// The ramp's live figures are the hand-computed ones of headroom's
// TestThermalTraces: at 40 s, 90 °C now (35/30) and 100, 120, 150 °C
// 10, 30, 60 s ahead (severe 85 °C).
func TestMonitorHeadroomRampFigures(t *testing.T) {
	tr, err := fake.ParseFile(filepath.Join("..", "testdata", "scripts", "thermal-ramp.trace"))
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		m := New(fake.New(tr).Capable())
		defer m.Close()
		m.Prewarm()
		time.Sleep(time.Until(start.Add(40*time.Second + 500*time.Millisecond)))
		synctest.Wait()
		for _, tc := range []struct {
			h        time.Duration
			forecast float64
		}{{10 * time.Second, 45.0 / 30}, {30 * time.Second, 65.0 / 30}, {time.Minute, 95.0 / 30}} {
			h := m.Headroom(tc.h)
			if h.Thermal != provider.Some(35.0/30) || h.ThermalForecast != provider.Some(tc.forecast) {
				t.Errorf("%v ahead: %v now, %v ahead; want %v and %v", tc.h, h.Thermal, h.ThermalForecast, 35.0/30, tc.forecast)
			}
		}
	})
}
