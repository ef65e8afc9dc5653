package headroom

import "time"

// Gate turns a noisy figure into a decision that does not flap: it turns
// on when the figure reaches On and stays there for Dwell, and turns off
// only when the figure falls to Off and stays there for Dwell. With
// Off < On the gap between them is the margin: a figure oscillating
// inside it never changes the decision. A runtime that backs off when the
// thermal forecast crosses 1.0 uses Gate{On: 1.0, Off: 0.9, Dwell: 5 *
// time.Second}; one that picks a model variant by whether it fits feeds
// the spare memory through a gate with On below Off (see [Gate.Falling]).
//
// A Gate is a plain value for one owner; the zero Gate with On and Off
// set has no dwell and starts off. The time of each observation is given,
// never read from a clock.
type Gate struct {
	On, Off float64
	Dwell   time.Duration
	// Falling inverts the comparisons: the gate turns on when the figure
	// drops to On or below and off when it rises to Off or above (Off >
	// On). Use it for figures where less is worse, such as spare memory.
	Falling bool

	on      bool
	pending bool      // the figure is past the threshold that would flip the state
	since   time.Time // when pending began
}

// State reports the current decision.
func (g *Gate) State() bool { return g.on }

// Observe feeds the figure v seen at now and returns the decision.
func (g *Gate) Observe(now time.Time, v float64) bool {
	var past bool
	switch {
	case !g.on && !g.Falling:
		past = v >= g.On
	case !g.on && g.Falling:
		past = v <= g.On
	case g.on && !g.Falling:
		past = v <= g.Off
	default:
		past = v >= g.Off
	}
	if !past { // a NaN is past nothing: it never flips the decision
		g.pending = false
		return g.on
	}
	if !g.pending {
		g.pending, g.since = true, now
	}
	if now.Sub(g.since) >= g.Dwell {
		g.on, g.pending = !g.on, false
	}
	return g.on
}
