package headroom

import (
	"math"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

var t0 = time.Unix(1_700_000_000, 0)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestFromCelsius(t *testing.T) {
	for _, tc := range []struct{ c, severe, want float64 }{
		{85, 85, 1},      // at the severe threshold
		{55, 85, 0},      // 30 °C below
		{40, 85, 0},      // never below 0
		{70, 85, 0.5},    // half way
		{100, 85, 1.5},   // past it
		{62.5, 70, 0.75}, // the bands' severe threshold (hot at 70 °C)
	} {
		if got := FromCelsius(tc.c, tc.severe); !near(got, tc.want) {
			t.Errorf("FromCelsius(%v, %v) = %v, want %v", tc.c, tc.severe, got, tc.want)
		}
	}
}

func TestFromState(t *testing.T) {
	want := map[provider.ThermalState]provider.Opt[float64]{
		provider.ThermalUnknown:  {},
		provider.ThermalNormal:   provider.Some(0.0),
		provider.ThermalWarm:     provider.Some(2.0 / 3),
		provider.ThermalHot:      provider.Some(1.0),
		provider.ThermalCritical: provider.Some(4.0 / 3),
	}
	for s, w := range want {
		if got := FromState(s); got != w {
			t.Errorf("FromState(%v) = %+v, want %+v", s, got, w)
		}
	}
}

// feed gives the forecaster one reading per second of sensor "cpu" with
// severe threshold 85 °C: temps[i] at t0+i s.
func feed(f *Forecaster, temps ...float64) {
	for i, c := range temps {
		f.Update(t0.Add(time.Duration(i)*time.Second), []Reading{{Sensor: "cpu", Celsius: c, SevereC: 85}})
	}
}

// ramp returns n temperatures from start rising by step per second.
func ramp(start, step float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + step*float64(i)
	}
	return out
}

// TestForecastRamp checks forecasts of a linear ramp at 10, 30 and 60 s,
// computed by hand: 30 samples from 50 °C rising 0.5 °C/s end at 64.5 °C;
// the forecast is the newest sample plus the slope times the horizon.
func TestForecastRamp(t *testing.T) {
	var f Forecaster
	feed(&f, ramp(50, 0.5, 30)...)
	for _, tc := range []struct {
		h     time.Duration
		tempC float64
	}{
		{10 * time.Second, 69.5},
		{30 * time.Second, 79.5},
		{60 * time.Second, 94.5},
		{90 * time.Second, 94.5}, // clamped to 60 s
		{0, 64.5},
	} {
		now, fc := f.Headroom(tc.h)
		if !now.Valid || !near(now.V, (64.5-55)/30) {
			t.Errorf("now = %+v, want %v", now, (64.5-55)/30)
		}
		if want := (tc.tempC - 55) / 30; !fc.Valid || !near(fc.V, want) {
			t.Errorf("forecast at %v = %+v, want %v (%.1f °C)", tc.h, fc, want, tc.tempC)
		}
	}
}

// TestForecastFromNewestNotOldest shows the older estimator's error: a
// forecast from the oldest sample under-forecasts a ramp by the whole
// window's rise. On 30 samples rising 1 °C/s from 50 °C, 10 s ahead is
// 89 °C; oldest + slope × horizon would say 60 °C.
func TestForecastFromNewestNotOldest(t *testing.T) {
	var f Forecaster
	feed(&f, ramp(50, 1, 30)...)
	_, fc := f.Headroom(10 * time.Second)
	newest := FromCelsius(79+10, 85)
	oldest := FromCelsius(50+10, 85)
	if !near(fc.V, newest) {
		t.Fatalf("forecast = %v, want %v (from the newest sample)", fc.V, newest)
	}
	if near(fc.V, oldest) {
		t.Fatalf("forecast = %v follows the oldest sample", fc.V)
	}
}

func TestForecastNeedsThreeSamples(t *testing.T) {
	var f Forecaster
	feed(&f, 60, 70)
	now, fc := f.Headroom(60 * time.Second)
	if want := FromCelsius(70, 85); now.V != want || fc.V != want {
		t.Errorf("two samples: now %v forecast %v, want both %v", now.V, fc.V, want)
	}
	feed(&f, 60, 70, 80)
	_, fc = f.Headroom(10 * time.Second)
	if want := FromCelsius(80+100, 85); !near(fc.V, want) {
		t.Errorf("three samples: forecast %v, want %v", fc.V, want)
	}
}

func TestForecastKeepsThirtySamples(t *testing.T) {
	var f Forecaster
	// 20 flat samples then a 30-sample ramp: only the ramp is in the window.
	temps := append(ramp(40, 0, 20), ramp(50, 1, 30)...)
	feed(&f, temps...)
	s := f.Sensors(nil, 10*time.Second)
	if len(s) != 1 || s[0].Samples != RingLen {
		t.Fatalf("Sensors = %+v", s)
	}
	if want := FromCelsius(79+10, 85); !near(s[0].Forecast, want) {
		t.Errorf("forecast %v, want %v (window of the last 30 only)", s[0].Forecast, want)
	}
}

func TestForecastSameSecondReplaces(t *testing.T) {
	var f Forecaster
	feed(&f, 50, 51, 52)
	f.Update(t0.Add(2*time.Second+500*time.Millisecond), []Reading{{Sensor: "cpu", Celsius: 60, SevereC: 85}})
	s := f.Sensors(nil, 0)
	if s[0].Samples != 3 || s[0].Now != FromCelsius(60, 85) {
		t.Errorf("a second reading in one second: %+v", s)
	}
}

func TestSensorGoingUnknown(t *testing.T) {
	var f Forecaster
	for i := range 10 {
		f.Update(t0.Add(time.Duration(i)*time.Second), []Reading{{Sensor: "cpu", Celsius: 50 + float64(i), SevereC: 85}, {Sensor: "gpu", Celsius: 80, SevereC: 85}})
	}
	now, _ := f.Headroom(0)
	if want := FromCelsius(80, 85); now.V != want {
		t.Fatalf("device headroom %v, want the hotter sensor's %v", now.V, want)
	}
	// The gpu sensor goes unreadable: it no longer counts, and its
	// history is gone when it returns.
	f.Update(t0.Add(10*time.Second), []Reading{{Sensor: "cpu", Celsius: 60, SevereC: 85}})
	now, _ = f.Headroom(0)
	if want := FromCelsius(60, 85); now.V != want {
		t.Errorf("after the gpu went unknown: %v, want %v", now.V, want)
	}
	f.Update(t0.Add(11*time.Second), []Reading{{Sensor: "cpu", Celsius: 61, SevereC: 85}, {Sensor: "gpu", Celsius: 70, SevereC: 85}})
	for _, s := range f.Sensors(nil, 0) {
		if s.Sensor == "gpu" && s.Samples != 1 {
			t.Errorf("gpu came back with %d samples, want a fresh window", s.Samples)
		}
	}
	// Nothing readable: unknown.
	f.Update(t0.Add(12*time.Second), nil)
	if now, fc := f.Headroom(0); now.Valid || fc.Valid {
		t.Errorf("no sensor: %+v %+v", now, fc)
	}
	// A non-finite reading is no reading.
	f.Update(t0.Add(13*time.Second), []Reading{{Sensor: "cpu", Celsius: math.NaN(), SevereC: 85}, {Sensor: "x", Celsius: 50, SevereC: math.Inf(1)}})
	if now, _ := f.Headroom(0); now.Valid {
		t.Errorf("non-finite readings gave %+v", now)
	}
}

func TestForecastGapDropsOldSamples(t *testing.T) {
	var f Forecaster
	feed(&f, 50, 51, 52, 53)
	// 40 s later the window holds only the new sample.
	f.Update(t0.Add(44*time.Second), []Reading{{Sensor: "cpu", Celsius: 70, SevereC: 85}})
	if s := f.Sensors(nil, 0); s[0].Samples != 1 {
		t.Errorf("after a 40 s gap: %d samples, want 1", s[0].Samples)
	}
	// A clock set back restarts the window.
	f.Update(t0, []Reading{{Sensor: "cpu", Celsius: 50, SevereC: 85}})
	if s := f.Sensors(nil, 0); s[0].Samples != 1 {
		t.Errorf("after the clock went back: %d samples, want 1", s[0].Samples)
	}
}

func TestForecasterSteadyStateAllocs(t *testing.T) {
	var f Forecaster
	rs := []Reading{{Sensor: "a", Celsius: 50, SevereC: 85}, {Sensor: "b", Celsius: 60, SevereC: 90}}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		i++
		f.Update(t0.Add(time.Duration(i)*time.Second), rs)
		f.Headroom(10 * time.Second)
	})
	if allocs != 0 {
		t.Errorf("steady-state Update+Headroom allocate %v times", allocs)
	}
}

func FuzzForecaster(f *testing.F) {
	f.Add(int64(0), 50.0, 85.0, int64(1), 60.0)
	f.Add(int64(-5), math.MaxFloat64, -1.0, int64(1<<40), math.SmallestNonzeroFloat64)
	f.Fuzz(func(t *testing.T, s1 int64, c1, sev float64, s2 int64, c2 float64) {
		var fc Forecaster
		for i := range 40 {
			c := c1
			if i%2 == 1 {
				c = c2
			}
			fc.Update(time.Unix(s1+int64(i)*(s2%3), 0), []Reading{{Sensor: "z", Celsius: c, SevereC: sev}})
			now, fcast := fc.Headroom(time.Duration(s2))
			if now.Valid && (now.V < 0 || math.IsNaN(now.V)) {
				t.Fatalf("headroom %v", now.V)
			}
			if fcast.Valid && (fcast.V < 0 || math.IsNaN(fcast.V)) {
				t.Fatalf("forecast %v", fcast.V)
			}
		}
	})
}
