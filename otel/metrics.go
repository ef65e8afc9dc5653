// Package restelotel bridges restel to OpenTelemetry (docs/contract.md
// §8). It lives in its own module, github.com/restel/restel/otel, so that
// restel itself keeps no OpenTelemetry dependency.
//
// [RegisterMetrics] registers an observable Float64 instrument for every
// metric of restel's export table on a caller's metric.MeterProvider —
// semantic-convention names where they match (process.memory.usage,
// system.memory.limit, system.memory.linux.available, hw.battery.charge,
// hw.gpu.*), restel.* otherwise, the headroom gauges (restel.cpu.effective,
// restel.memory.usable, restel.thermal.headroom, ...) included; the table,
// its units and the level mappings are documented in package
// github.com/restel/restel/export. One callback feeds them all from one
// read of the monitor's cached snapshot per collection, and its headroom,
// which reads no provider.
//
// [SetSummary] puts a run's usage summary on the caller's span as
// restel.<field> attributes, the way the GenAI span conventions leave
// device data to namespaced attributes.
package restelotel

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/restel/restel/export"
)

// ScopeName is the instrumentation scope of the meter RegisterMetrics
// creates.
const ScopeName = "github.com/restel/restel/otel"

type config struct {
	maxAge time.Duration
}

// Option configures [RegisterMetrics].
type Option func(*config)

// WithMaxAge sets the snapshot age a collection accepts (default
// [export.DefaultMaxAge], the orchestrator's TTL): a cached snapshot no
// older is observed as it is, an older one is refreshed by one read. A
// negative or zero age refreshes on every collection.
func WithMaxAge(d time.Duration) Option { return func(c *config) { c.maxAge = d } }

// RegisterMetrics registers restel's metrics on mp, read from src (an
// *orchestrator.Monitor): one observable Float64 instrument per metric of
// [export.Table] — a gauge, an up-down counter or a counter as the table
// says; entries sharing a name are points of one instrument, told apart by
// their attributes — and one callback for all of them. Each collection
// reads src once (an [export.Collector]; FullSnapshot when src has it, so
// the stall and throttle counters appear only then) and observes every
// value the snapshot knows; an unknown one has no point, and a counter is
// never observed negative or below a value it was observed at before.
// Unregister the returned registration to stop observing.
//
// A panic in src during a collection is recovered and returned to the SDK
// as the callback's error; it never reaches the caller's code.
func RegisterMetrics(mp metric.MeterProvider, src export.Source, opts ...Option) (metric.Registration, error) {
	if mp == nil || src == nil {
		return nil, fmt.Errorf("restelotel: RegisterMetrics needs a MeterProvider and a source")
	}
	cfg := config{maxAge: export.DefaultMaxAge}
	for _, o := range opts {
		o(&cfg)
	}
	meter := mp.Meter(ScopeName)
	c, observables, err := newCollector(meter, src, cfg.maxAge)
	if err != nil {
		return nil, err
	}
	reg, err := meter.RegisterCallback(c.observe, observables...)
	if err != nil {
		return nil, fmt.Errorf("restelotel: %w", err)
	}
	return reg, nil
}

// newInstrument creates m's observable Float64 instrument: name, unit and
// description from the table, the instrument kind its Kind says.
func newInstrument(meter metric.Meter, m export.Metric) (metric.Float64Observable, error) {
	unit, desc := metric.WithUnit(m.Unit), metric.WithDescription(m.Description)
	switch m.Kind {
	case export.Gauge:
		return meter.Float64ObservableGauge(m.Name, unit, desc)
	case export.UpDownCounter:
		return meter.Float64ObservableUpDownCounter(m.Name, unit, desc)
	case export.Counter:
		return meter.Float64ObservableCounter(m.Name, unit, desc)
	}
	return nil, fmt.Errorf("unknown kind %v", m.Kind)
}

// newCollector creates the instruments of every metric of the export
// table ([export.Metrics]) on meter and returns the callback's state
// reading src, and the instruments to register it for.
func newCollector(meter metric.Meter, src export.Source, maxAge time.Duration) (*collector, []metric.Observable, error) {
	tab := export.Metrics()
	c := &collector{coll: export.NewCollector(src, maxAge),
		insts: make([]metric.Float64Observable, len(tab)),
		opts:  make([][]metric.ObserveOption, len(tab)),
		attrs: make([][]attribute.KeyValue, len(tab)),
		vars:  make([][]attribute.Key, len(tab)),
		sets:  make([]lastSet, len(tab)),
	}
	var observables []metric.Observable
	byName := map[string]metric.Float64Observable{}
	for i, m := range tab {
		inst, ok := byName[m.Name]
		if !ok {
			var err error
			if inst, err = newInstrument(meter, m); err != nil {
				return nil, nil, fmt.Errorf("restelotel: %s: %w", m.Name, err)
			}
			byName[m.Name] = inst
			observables = append(observables, inst)
		}
		c.insts[i] = inst
		for _, a := range m.Attrs {
			c.attrs[i] = append(c.attrs[i], attribute.String(a.Key, a.Value))
		}
		for _, a := range m.Vars {
			c.vars[i] = append(c.vars[i], attribute.Key(a.Key))
		}
		if len(m.Attrs) > 0 && len(m.Vars) == 0 {
			c.opts[i] = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(c.attrs[i]...))}
		}
	}
	return c, observables, nil
}

// collector is the one callback's state, fixed at registration: the
// export collector and, per metric, its instrument, its constant
// attributes (as the option observing them, when they are all it has)
// and the keys of its variable ones.
type collector struct {
	coll  *export.Collector
	insts []metric.Float64Observable
	opts  [][]metric.ObserveOption
	attrs [][]attribute.KeyValue
	vars  [][]attribute.Key

	// mu guards sets: per metric with variable attributes, the options
	// observing the last attribute set built and the values it was built
	// from, so a collection whose limits did not change builds none and
	// allocates nothing (two readers may collect at once).
	mu   sync.Mutex
	sets []lastSet
}

type lastSet struct {
	vals [2]string
	opts []metric.ObserveOption
}

// observe is the callback: one read, then every known value.
func (c *collector) observe(_ context.Context, o metric.Observer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("restelotel: reading the snapshot panicked: %v", r)
		}
	}()
	c.coll.CollectPoints(func(p export.Point) {
		if len(c.vars[p.I]) == 0 {
			o.ObserveFloat64(c.insts[p.I], p.V, c.opts[p.I]...)
			return
		}
		o.ObserveFloat64(c.insts[p.I], p.V, c.pointOpts(p)...)
	})
	return nil
}

// pointOpts observes a point of a metric with variable attributes with
// its attribute set: the metric's constant attributes, then each variable
// one that has a value (an unknown vendor is no attribute, not an empty
// one).
func (c *collector) pointOpts(p export.Point) []metric.ObserveOption {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := &c.sets[p.I]; l.opts != nil && l.vals == p.Vars {
		return l.opts
	}
	kvs := make([]attribute.KeyValue, 0, len(c.attrs[p.I])+len(c.vars[p.I]))
	kvs = append(kvs, c.attrs[p.I]...)
	for j, k := range c.vars[p.I] {
		if p.Vars[j] != "" {
			kvs = append(kvs, k.String(p.Vars[j]))
		}
	}
	opts := []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
	c.sets[p.I] = lastSet{vals: p.Vars, opts: opts}
	return opts
}
