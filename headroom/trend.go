package headroom

import (
	"math"
	"time"

	"github.com/restel/restel/provider"
)

// Trend is one sensor's latest temperature and the least-squares slope of
// its window: enough to forecast its headroom at any horizon without the
// window itself, so a reading published once serves every caller's
// horizon.
type Trend struct {
	Sensor    string
	Celsius   float64
	SlopePerS float64 // °C per second; 0 with fewer than MinForecastSamples samples
	SevereC   float64
	Samples   int
}

// Forecast returns the sensor's temperature horizon ahead (clamped to
// [0, MaxHorizon]): the newest sample plus the slope times the horizon.
func (t Trend) Forecast(horizon time.Duration) float64 {
	fc := t.Celsius + t.SlopePerS*ClampHorizon(horizon).Seconds()
	if math.IsNaN(fc) || math.IsInf(fc, 0) {
		return t.Celsius
	}
	return fc
}

// Trends appends each sensor's trend to dst, in the order the sensors
// were first seen.
func (f *Forecaster) Trends(dst []Trend) []Trend {
	for i := range f.rings {
		dst = append(dst, f.rings[i].trend())
	}
	return dst
}

// Trends appends the tracker's sensor trends to dst.
func (t *Tracker) Trends(dst []Trend) []Trend { return t.fc.Trends(dst) }

// ThermalAt returns the device's thermal headroom now and horizon ahead
// from its sensors' trends: the largest over the sensors; both unknown
// without a sensor.
func ThermalAt(trends []Trend, horizon time.Duration) (now, forecast provider.Opt[float64]) {
	for _, t := range trends {
		now, forecast = t.raise(now, forecast, horizon)
	}
	return now, forecast
}

// raise returns now and forecast each raised to the sensor's headroom
// now and horizon ahead where that is larger (or they are unknown): the
// device's headroom is the largest over its sensors.
func (t Trend) raise(now, forecast provider.Opt[float64], horizon time.Duration) (provider.Opt[float64], provider.Opt[float64]) {
	if n := FromCelsius(t.Celsius, t.SevereC); !now.Valid || n > now.V {
		now = provider.Some(n)
	}
	if f := FromCelsius(t.Forecast(horizon), t.SevereC); !forecast.Valid || f > forecast.V {
		forecast = provider.Some(f)
	}
	return now, forecast
}
