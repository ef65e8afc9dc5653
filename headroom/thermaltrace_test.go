package headroom_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// horizons are the forecast horizons the thermal traces are checked at.
var horizons = [3]time.Duration{10 * time.Second, 30 * time.Second, 60 * time.Second}

// thermalStep is what a tracker says after the capacity read at one
// whole second of a trace.
type thermalStep struct {
	// Headroom is the tracker's answer, forecast 10 s ahead.
	Headroom headroom.Headroom
	// Forecast is the device's thermal headroom forecast at each of
	// horizons.
	Forecast [3]provider.Opt[float64]
	// Sensors are each sensor's headroom now and 60 s ahead.
	Sensors []headroom.SensorHeadroom
	// Trends are each sensor's latest temperature and slope.
	Trends []headroom.Trend
	// Oldest is each sensor's oldest sample in the forecast's 30-second
	// window, as the test keeps it (for the oldest-sample rule).
	Oldest map[string]float64
}

// replayThermal replays the trace testdata/scripts/NAME.trace at
// one-second steps from 0 to its end, as a monitor's capacity signal
// reads it, through a headroom.Tracker.
func replayThermal(t *testing.T, name string) []thermalStep {
	t.Helper()
	tr, err := fake.ParseFile(filepath.Join("..", "testdata", "scripts", name+".trace"))
	if err != nil {
		t.Fatal(err)
	}
	r := fake.NewReplay(tr)
	var (
		tk      headroom.Tracker
		c       provider.Capacity
		steps   []thermalStep
		history = map[string][]float64{} // each sensor's samples while readable, newest last
	)
	for off := time.Duration(0); off <= r.End(); off += time.Second {
		r.Seek(off)
		if err := r.ReadCapacity(t.Context(), &c); err != nil {
			t.Fatalf("at %v: %v", off, err)
		}
		state, err := r.Thermal(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		st := thermalStep{Headroom: tk.Update(r.Now(), &c, nil, state, horizons[0]), Oldest: map[string]float64{}}
		seen := map[string]bool{}
		for _, s := range c.Sensors {
			seen[s.Sensor] = true
			h := append(history[s.Sensor], s.Celsius)
			if len(h) > headroom.RingLen {
				h = h[1:]
			}
			history[s.Sensor] = h
			st.Oldest[s.Sensor] = h[0]
		}
		for s := range history {
			if !seen[s] {
				delete(history, s) // gone: it comes back with a fresh window
			}
		}
		for i, h := range horizons {
			for _, sh := range tk.Sensors(nil, h) {
				if !st.Forecast[i].Valid || sh.Forecast > st.Forecast[i].V {
					st.Forecast[i] = provider.Some(sh.Forecast)
				}
			}
		}
		st.Sensors = tk.Sensors(nil, horizons[2])
		st.Trends = tk.Trends(nil)
		steps = append(steps, st)
	}
	return steps
}

// TestThermalTraces replays the thermal traces at one-second steps, as
// the capacity signal polls, and checks the forecasts 10, 30 and 60 s
// ahead against figures worked out by hand from the traces.
//
// Headroom is (T − (T_severe − 30)) / 30, never below 0; the forecast T
// is the newest sample plus the least-squares slope of the last 30
// one-second samples times the horizon, or the newest sample with fewer
// than 3 samples. On a straight ramp the slope is the ramp's. Every
// figure here is a small integer or half-integer computation, so it is
// exact in float64: the checks use ==.
func TestThermalTraces(t *testing.T) {
	type want struct {
		at      int        // seconds into the trace
		now     float64    // the device's headroom now
		fc      [3]float64 // the device's forecast 10, 30, 60 s ahead
		sensor  string     // a sensor whose sample count is checked
		samples int
	}
	for _, tc := range []struct {
		trace string
		want  []want
	}{
		{"thermal-ramp", []want{
			// 50 + t °C, severe 85: headroom 0 below 55 °C.
			// 0 s: one sample, 50 °C: no slope, the forecast is 50 °C,
			// headroom 0 at every horizon.
			{at: 0, now: 0, fc: [3]float64{0, 0, 0}, sensor: "z0", samples: 1},
			// 1 s: two samples; still no slope: 51 °C everywhere.
			{at: 1, now: 0, fc: [3]float64{0, 0, 0}, sensor: "z0", samples: 2},
			// 2 s: 50, 51, 52, slope 1 °C/s. 52 + 10 = 62 → 7/30;
			// 52 + 30 = 82 → 27/30; 52 + 60 = 112 → 57/30.
			{at: 2, now: 0, fc: [3]float64{7.0 / 30, 27.0 / 30, 57.0 / 30}, sensor: "z0", samples: 3},
			// 29 s: a full window, 50..79. 79 → 24/30 now; 89 → 34/30;
			// 109 → 54/30; 139 → 84/30.
			{at: 29, now: 24.0 / 30, fc: [3]float64{34.0 / 30, 54.0 / 30, 84.0 / 30}, sensor: "z0", samples: 30},
			// 40 s: the window is 61..90 (older samples dropped out).
			// 90 → 35/30 now; 100 → 45/30; 120 → 65/30; 150 → 95/30.
			{at: 40, now: 35.0 / 30, fc: [3]float64{45.0 / 30, 65.0 / 30, 95.0 / 30}, sensor: "z0", samples: 30},
		}},
		{"thermal-plateau", []want{
			// 60 + t °C to 70 °C at 10 s, then 70 °C; severe 85.
			// 10 s: 60..70, slope 1. 70 → 15/30 now; 80 → 25/30;
			// 100 → 45/30; 130 → 75/30.
			{at: 10, now: 15.0 / 30, fc: [3]float64{25.0 / 30, 45.0 / 30, 75.0 / 30}, sensor: "z0", samples: 11},
			// 20 s: 21 samples, x = 0..20 (mean 10), y = 60 + x to x = 10,
			// then 70. Σ(x−10)·y = Σ_{u=−10..0} u(70+u) + Σ_{u=1..10} 70u
			// = (−3850 + 385) + 3850 = 385; Σ(x−10)² = 770: slope 0.5.
			// 70 + 5 = 75 → 20/30; 70 + 15 = 85 → 1; 70 + 30 = 100 → 45/30.
			{at: 20, now: 15.0 / 30, fc: [3]float64{20.0 / 30, 1, 45.0 / 30}, sensor: "z0", samples: 21},
			// 40 s: the window is 11..40, all 70 °C: slope 0, the
			// forecast is the plateau, 15/30, at every horizon.
			{at: 40, now: 15.0 / 30, fc: [3]float64{15.0 / 30, 15.0 / 30, 15.0 / 30}, sensor: "z0", samples: 30},
			{at: 50, now: 15.0 / 30, fc: [3]float64{15.0 / 30, 15.0 / 30, 15.0 / 30}, sensor: "z0", samples: 30},
		}},
		{"thermal-short", []want{
			// Severe 85. 0 s: 80 °C, one sample: 25/30 now and ahead.
			{at: 0, now: 25.0 / 30, fc: [3]float64{25.0 / 30, 25.0 / 30, 25.0 / 30}, sensor: "z0", samples: 1},
			// 1 s: 82 °C, two samples: rising 2 °C/s, but with fewer than 3
			// samples the forecast is the current value, 27/30.
			{at: 1, now: 27.0 / 30, fc: [3]float64{27.0 / 30, 27.0 / 30, 27.0 / 30}, sensor: "z0", samples: 2},
		}},
		{"thermal-sensor-lost", []want{
			// z0: 60 + 2t °C, severe 85 (0 at 55 °C); z1: 70 °C, severe 95
			// (0 at 65 °C): 5/30 now and ahead once it has 3 samples.
			// 4 s: z0 60..68, slope 2. 68 → 13/30 now; 88 → 33/30;
			// 128 → 73/30; 188 → 133/30.
			{at: 4, now: 13.0 / 30, fc: [3]float64{33.0 / 30, 73.0 / 30, 133.0 / 30}, sensor: "z0", samples: 5},
			// 5 s to 7 s: z0 is gone: the device is z1 alone.
			{at: 5, now: 5.0 / 30, fc: [3]float64{5.0 / 30, 5.0 / 30, 5.0 / 30}, sensor: "z1", samples: 6},
			{at: 7, now: 5.0 / 30, fc: [3]float64{5.0 / 30, 5.0 / 30, 5.0 / 30}, sensor: "z1", samples: 8},
			// 8 s: z0 is back at 76 °C with a fresh window of one
			// sample: 21/30 now and ahead (a slope across the gap, 2 °C/s,
			// would say 96 °C at 10 s).
			{at: 8, now: 21.0 / 30, fc: [3]float64{21.0 / 30, 21.0 / 30, 21.0 / 30}, sensor: "z0", samples: 1},
			{at: 9, now: 23.0 / 30, fc: [3]float64{23.0 / 30, 23.0 / 30, 23.0 / 30}, sensor: "z0", samples: 2},
			// 10 s: 76, 78, 80, slope 2. 80 → 25/30; 100 → 45/30;
			// 140 → 85/30; 200 → 145/30.
			{at: 10, now: 25.0 / 30, fc: [3]float64{45.0 / 30, 85.0 / 30, 145.0 / 30}, sensor: "z0", samples: 3},
		}},
		{"thermal-throttling", []want{
			// 45 °C (severe 85) and 48 °C (severe 90): both below the
			// bottom of their scales, headroom 0 now and ahead.
			{at: 0, sensor: "cpu", samples: 1},
			{at: 4, sensor: "gpu", samples: 5},
			{at: 9, sensor: "cpu", samples: 10},
		}},
	} {
		t.Run(tc.trace, func(t *testing.T) {
			steps := replayThermal(t, tc.trace)
			for _, w := range tc.want {
				st := steps[w.at]
				h := st.Headroom
				if h.Thermal != provider.Some(w.now) || h.ThermalForecast != provider.Some(w.fc[0]) || h.Forecast != horizons[0] {
					t.Errorf("%d s: headroom %v, 10 s ahead %v (%v), want %v and %v", w.at, h.Thermal, h.ThermalForecast, h.Forecast, w.now, w.fc[0])
				}
				for i, hz := range horizons {
					if st.Forecast[i] != provider.Some(w.fc[i]) {
						t.Errorf("%d s: forecast %v ahead %v, want %v", w.at, hz, st.Forecast[i], w.fc[i])
					}
				}
				found := false
				for _, s := range st.Sensors {
					if s.Sensor == w.sensor {
						found = true
						if s.Samples != w.samples {
							t.Errorf("%d s: %s has %d samples, want %d", w.at, w.sensor, s.Samples, w.samples)
						}
					}
				}
				if !found {
					t.Errorf("%d s: no sensor %s in %+v", w.at, w.sensor, st.Sensors)
				}
			}
			// Replay is exact: a second replay gives the same figures.
			if diff := cmp.Diff(steps, replayThermal(t, tc.trace)); diff != "" {
				t.Errorf("a second replay differs (-first +second):\n%s", diff)
			}
		})
	}
}

// TestThermalTraceSensorsGone: while z0 is unreadable it is absent from
// the sensors, not reported at its last temperature.
func TestThermalTraceSensorsGone(t *testing.T) {
	steps := replayThermal(t, "thermal-sensor-lost")
	for at := 5; at <= 7; at++ {
		if s := steps[at].Sensors; len(s) != 1 || s[0].Sensor != "z1" {
			t.Errorf("%d s: sensors %+v, want z1 alone", at, s)
		}
	}
	if s := steps[8].Sensors; len(s) != 2 {
		t.Errorf("8 s: sensors %+v, want z1 and z0 back", s)
	}
}

// TestThermalTraceThrottlingAtNormal: a cooling device throttles from 3 s
// to 6 s while the temperatures and the thermal state read normal; the
// headroom says so, and names the trace as its source.
func TestThermalTraceThrottlingAtNormal(t *testing.T) {
	steps := replayThermal(t, "thermal-throttling")
	for at, st := range steps {
		h := st.Headroom
		want := provider.Some(at >= 3 && at < 6)
		wantBy := ""
		if want.V {
			wantBy = fake.ByTrace
		}
		if h.Throttling != want || h.ThrottlingBy != wantBy {
			t.Errorf("%d s: throttling %v by %q, want %v by %q", at, h.Throttling, h.ThrottlingBy, want, wantBy)
		}
		if h.Thermal != provider.Some(0.0) || h.ThermalForecast != provider.Some(0.0) {
			t.Errorf("%d s: thermal headroom %v, forecast %v: want 0 (the temperatures are normal)", at, h.Thermal, h.ThermalForecast)
		}
	}
}

// TestThermalTraceLimits: the ramp trace's cpus= and avail= bound the
// CPUs and the memory, named as the fake provider reads them.
func TestThermalTraceLimits(t *testing.T) {
	h := replayThermal(t, "thermal-ramp")[5].Headroom
	if h.EffectiveCPUs != provider.Some(2.5) || h.CPULimitBy != fake.ByTrace || h.UsableMemMB != provider.Some[uint64](6000) || h.MemLimitBy != headroom.ByHost {
		t.Errorf("limits %+v", h)
	}
}

// TestThermalTraceNotOldestSample: Android's older estimator forecasts
// from the oldest of its samples (oldest + slope × horizon). On the ramp
// that falls short by the whole window's rise: at 40 s the window is
// 61..90 °C, so it says 61 + 10 = 71 °C (16/30) where the ramp will be at
// 100 °C (45/30) — 29 °C, nearly a whole unit of headroom, too low — and
// 61 + 60 = 121 °C (66/30) where it will be at 150 °C (95/30). The
// hand-computed figures of TestThermalTraces fail under that rule; this
// test shows the two rules apart on every step with a full window.
func TestThermalTraceNotOldestSample(t *testing.T) {
	steps := replayThermal(t, "thermal-ramp")
	aosp := func(st thermalStep, h time.Duration) float64 {
		tr := st.Trends[0]
		return headroom.FromCelsius(st.Oldest[tr.Sensor]+tr.SlopePerS*h.Seconds(), tr.SevereC)
	}
	if got := aosp(steps[40], 10*time.Second); got != 16.0/30 {
		t.Fatalf("the oldest-sample rule at 40 s, 10 s ahead: %v, want 16/30 (the test's own arithmetic is off)", got)
	}
	if got := aosp(steps[40], time.Minute); got != 66.0/30 {
		t.Fatalf("the oldest-sample rule at 40 s, 60 s ahead: %v, want 66/30", got)
	}
	for at := headroom.RingLen - 1; at < len(steps); at++ {
		st := steps[at]
		for i, h := range horizons {
			old := aosp(st, h)
			// The window's rise is 29 °C: 29/30 of headroom lower.
			if st.Forecast[i].V <= old || st.Forecast[i].V-old < 28.0/30 {
				t.Errorf("%d s, %v ahead: forecast %v, oldest-sample rule %v: want the forecast 29/30 above", at, h, st.Forecast[i].V, old)
			}
		}
	}
}
