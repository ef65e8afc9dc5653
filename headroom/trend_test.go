package headroom

import (
	"math"
	"testing"
	"time"
)

// The trends a reading publishes forecast exactly what the forecaster
// would, at every horizon.
func TestTrendsMatchForecaster(t *testing.T) {
	var f Forecaster
	for i := range 12 {
		f.Update(t0.Add(time.Duration(i)*time.Second), []Reading{
			{Sensor: "a", Celsius: 50 + 0.7*float64(i), SevereC: 85},
			{Sensor: "b", Celsius: 70 - 0.2*float64(i%3), SevereC: 80},
		})
	}
	trends := f.Trends(nil)
	for _, h := range []time.Duration{0, time.Second, 10 * time.Second, 30 * time.Second, 60 * time.Second, 2 * time.Minute} {
		n1, f1 := f.Headroom(h)
		n2, f2 := ThermalAt(trends, h)
		if n1 != n2 || math.Abs(f1.V-f2.V) > 1e-12 || f1.Valid != f2.Valid {
			t.Errorf("horizon %v: forecaster %v/%v, trends %v/%v", h, n1, f1, n2, f2)
		}
	}
	var g Forecaster
	g.Update(t0, []Reading{{Sensor: "a", Celsius: 60, SevereC: 85}})
	if tr := g.Trends(nil); len(tr) != 1 || tr[0].SlopePerS != 0 || tr[0].Samples != 1 {
		t.Errorf("one sample: %+v", tr)
	}
	if n, fc := ThermalAt(nil, time.Second); n.Valid || fc.Valid {
		t.Error("no trend gave a headroom")
	}
}
