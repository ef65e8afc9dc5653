package headroom

import (
	"math"
	"slices"
	"time"

	"github.com/restel/restel/provider"
)

// Thermal headroom follows Android's definition on every platform: 1.0 is
// the sensor's severe threshold (the temperature at which the platform
// starts throttling), and the scale drops to 0 thirty degrees below it:
//
//	headroom = (T − (T_severe − 30 °C)) / 30 °C, never below 0
//
// A device's headroom is the largest over its sensors: the sensor nearest
// its own threshold decides.
const (
	// SevereSpanC is the span, in °C, from headroom 0 to headroom 1.
	SevereSpanC = 30
	// RingLen is how many one-second samples a sensor keeps for its
	// forecast.
	RingLen = 30
	// MinForecastSamples is how many samples a forecast needs; with fewer,
	// the forecast is the current value.
	MinForecastSamples = 3
	// MaxHorizon is the furthest a forecast looks ahead.
	MaxHorizon = 60 * time.Second
	// DefaultHorizon is the forecast horizon when none is given.
	DefaultHorizon = 10 * time.Second
)

// FromCelsius returns the headroom of a sensor at celsius whose severe
// threshold is severeC.
func FromCelsius(celsius, severeC float64) float64 {
	return max(0, (celsius-(severeC-SevereSpanC))/SevereSpanC)
}

// FromState returns the headroom a discrete thermal state stands for,
// where a platform gives only levels (Apple's thermal states and pressure
// levels, a trace's thermal=): the lower edge of the band the level
// covers on a sensor whose severe threshold is its passive trip —
// normal 0, warm 2/3 (passive − 10 °C), hot 1 (the threshold itself),
// critical 4/3 (critical trips sit about 10 °C above passive ones).
// Unknown is unknown.
func FromState(s provider.ThermalState) provider.Opt[float64] {
	switch s {
	case provider.ThermalNormal:
		return provider.Some(0.0)
	case provider.ThermalWarm:
		return provider.Some(2.0 / 3)
	case provider.ThermalHot:
		return provider.Some(1.0)
	case provider.ThermalCritical:
		return provider.Some(4.0 / 3)
	}
	return provider.Opt[float64]{}
}

// ClampHorizon returns h within [0, MaxHorizon].
func ClampHorizon(h time.Duration) time.Duration { return min(max(h, 0), MaxHorizon) }

// Reading is one sensor's temperature at one moment, with its severe
// threshold (headroom 1.0).
type Reading = provider.ThermalReading

// SensorHeadroom is one sensor's headroom now and at the forecast horizon.
type SensorHeadroom struct {
	Sensor   string
	Now      float64
	Forecast float64
	// Samples is how many one-second samples the forecast used (the
	// current value alone when below MinForecastSamples).
	Samples int
}

// ring is one sensor's history: up to RingLen samples, one per whole
// second of the time they were taken, oldest first.
type ring struct {
	sensor  string
	severeC float64
	sec     [RingLen]int64 // Unix second of each sample
	temp    [RingLen]float64
	n       int
	seen    bool
}

func (r *ring) add(sec int64, celsius float64) {
	if r.n > 0 && r.sec[r.n-1] == sec {
		r.temp[r.n-1] = celsius // a second reading in the same second replaces the first
		return
	}
	if r.n > 0 && sec < r.sec[r.n-1] {
		r.n = 0 // the clock went back: the history no longer lines up
	}
	// Drop what fell out of the 30-second window (a sensor that was
	// unreadable for a while comes back with a short history, not a
	// slope across the gap).
	drop := 0
	for drop < r.n && r.sec[drop] <= sec-RingLen {
		drop++
	}
	if r.n-drop == RingLen {
		drop++
	}
	if drop > 0 {
		copy(r.sec[:], r.sec[drop:r.n])
		copy(r.temp[:], r.temp[drop:r.n])
		r.n -= drop
	}
	r.sec[r.n], r.temp[r.n] = sec, celsius
	r.n++
}

// trend returns the ring's newest sample and the least-squares slope of
// its window (0 with fewer than MinForecastSamples samples).
func (r *ring) trend() Trend {
	t := Trend{Sensor: r.sensor, Celsius: r.temp[r.n-1], SevereC: r.severeC, Samples: r.n}
	if r.n >= MinForecastSamples {
		t.SlopePerS = slope(r.sec[:r.n], r.temp[:r.n])
	}
	return t
}

// slope returns the least-squares slope of y over x (°C per second),
// with x taken relative to its last value so the sums stay small.
func slope(x []int64, y []float64) float64 {
	n := float64(len(x))
	last := x[len(x)-1]
	var sx, sy float64
	for i := range x {
		sx += float64(x[i] - last)
		sy += y[i]
	}
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for i := range x {
		dx := float64(x[i]-last) - mx
		sxy += dx * (y[i] - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}

// Forecaster keeps the last RingLen one-second temperature samples of
// each sensor and forecasts their headroom. It is a plain value for one
// owner (a monitor's slow-signal loop): not safe for concurrent use.
type Forecaster struct {
	rings []ring
}

// Update records one round of readings taken at t. A sensor the round
// does not list is unreadable or gone: its history is forgotten, so a
// sensor that comes back starts a fresh window. Readings that are not
// finite are skipped (and that sensor forgotten). Several rounds within
// one second keep the last reading of that second.
func (f *Forecaster) Update(t time.Time, rs []Reading) {
	sec := t.Unix()
	for i := range f.rings {
		f.rings[i].seen = false
	}
	for _, rd := range rs {
		if math.IsNaN(rd.Celsius) || math.IsInf(rd.Celsius, 0) || math.IsNaN(rd.SevereC) || math.IsInf(rd.SevereC, 0) {
			continue
		}
		i := slices.IndexFunc(f.rings, func(r ring) bool { return r.sensor == rd.Sensor })
		if i < 0 {
			f.rings = append(f.rings, ring{sensor: rd.Sensor})
			i = len(f.rings) - 1
		}
		r := &f.rings[i]
		r.severeC, r.seen = rd.SevereC, true
		r.add(sec, rd.Celsius)
	}
	f.rings = slices.DeleteFunc(f.rings, func(r ring) bool { return !r.seen })
}

// Reset forgets every sensor.
func (f *Forecaster) Reset() { f.rings = f.rings[:0] }

// Sensors appends each sensor's headroom now and at horizon (clamped to
// [0, MaxHorizon]) to dst, in the order the sensors were first seen.
func (f *Forecaster) Sensors(dst []SensorHeadroom, horizon time.Duration) []SensorHeadroom {
	horizon = ClampHorizon(horizon)
	for i := range f.rings {
		t := f.rings[i].trend()
		dst = append(dst, SensorHeadroom{
			Sensor:   t.Sensor,
			Now:      FromCelsius(t.Celsius, t.SevereC),
			Forecast: FromCelsius(t.Forecast(horizon), t.SevereC),
			Samples:  t.Samples,
		})
	}
	return dst
}

// Headroom returns the device's headroom now and at horizon: the largest
// over its sensors; both unknown when no sensor is readable.
func (f *Forecaster) Headroom(horizon time.Duration) (now, forecast provider.Opt[float64]) {
	for i := range f.rings {
		now, forecast = f.rings[i].trend().raise(now, forecast, horizon)
	}
	return now, forecast
}
