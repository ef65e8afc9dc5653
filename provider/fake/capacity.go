package fake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/restel/restel/provider"
)

// The capacity keys script what a provider.CapacityReader reads: the
// temperature sensors and their severe thresholds, throttling the thermal
// state does not show, and the CPUs the process may use. They are not
// snapshot fields (nothing of them is on the snapshot or summary wire),
// so they have no row in provider.SnapshotFields.
const (
	keyCPUs       = "cpus"
	keyThrottling = "throttling"
	prefixTemp    = "temp."
	prefixSevere  = "severe."
)

// Limits of the capacity keys.
const (
	// MaxSensors is the most temperature sensors a trace may name.
	MaxSensors = 16
	// MaxSensorName is the longest sensor name, in bytes.
	MaxSensorName = 64
	// MaxCPUs is the largest cpus= value.
	MaxCPUs = 1 << 16
)

// ByTrace names the cause of a limit or of throttling the trace states
// itself (cpus=, throttling=true).
const ByTrace = "trace"

// Sensor is one temperature sensor a trace names.
type Sensor struct {
	// Name is what follows temp. or severe. in its keys ("z0").
	Name string
	// Celsius is its temperature (temp.NAME=); unknown: the sensor is
	// unreadable or gone.
	Celsius provider.Opt[float64]
	// SevereC is its severe threshold (severe.NAME=), the temperature of
	// thermal headroom 1.0; known whenever Celsius is.
	SevereC provider.Opt[float64]
}

// Capacity is what a trace says of the device's capacity at one offset.
type Capacity struct {
	// Sensors are the sensors the trace has named so far, in the order
	// it first named them.
	Sensors []Sensor
	// Throttling is throttling=: throttling in progress (a cooling device
	// holding the CPU below its maximum frequency) whatever the
	// temperatures say.
	Throttling provider.Opt[bool]
	// CPUs is cpus=: the CPUs the process may use, a fraction.
	CPUs provider.Opt[float64]
}

func (c *Capacity) clone() *Capacity {
	if c == nil {
		return &Capacity{}
	}
	d := *c
	d.Sensors = slices.Clone(c.Sensors)
	return &d
}

// capBit is the bit of a capacity key in an event's capNamed mask: cpus,
// throttling, then temp and severe of each sensor by its index.
func capBit(i int) uint64 { return 1 << uint(i) }

const (
	bitCPUs       = 0
	bitThrottling = 1
)

func bitTemp(sensor int) int   { return 2 + 2*sensor }
func bitSevere(sensor int) int { return 3 + 2*sensor }

// isCapacityKey reports whether name is a capacity key, whatever its
// sensor name.
func isCapacityKey(name string) bool {
	return name == keyCPUs || name == keyThrottling || strings.HasPrefix(name, prefixTemp) || strings.HasPrefix(name, prefixSevere)
}

// setCapacityKey parses val for the capacity key name into *cp (cloned
// from the previous line's on the line's first capacity key) and marks it
// in *named; errors are the problem text only.
func setCapacityKey(cp **Capacity, cloned *bool, named *uint64, name, val string) error {
	if !*cloned {
		*cp, *cloned = (*cp).clone(), true
	}
	c := *cp
	bit := -1
	switch {
	case name == keyCPUs:
		bit = bitCPUs
		if val == "-" {
			c.CPUs = provider.Opt[float64]{}
			break
		}
		d, ok := splitDecimal(val, false)
		if !ok {
			return fmt.Errorf("bad cpus %q: want a number of CPUs like 2 or 8.5, or - for unknown", val)
		}
		if d.isZero() || !d.atMost(MaxCPUs) {
			return fmt.Errorf("cpus %s outside (0, %d]", val, MaxCPUs)
		}
		f, _ := strconv.ParseFloat(val, 64)
		if !(f > 0 && f <= MaxCPUs) {
			return fmt.Errorf("cpus %s outside (0, %d] as a float64", val, MaxCPUs)
		}
		c.CPUs = provider.Some(f)
	case name == keyThrottling:
		bit = bitThrottling
		switch val {
		case "true":
			c.Throttling = provider.Some(true)
		case "false":
			c.Throttling = provider.Some(false)
		case "-":
			c.Throttling = provider.Opt[bool]{}
		default:
			return fmt.Errorf("bad throttling %q: want true, false or -", val)
		}
	default:
		prefix, sensor, severe := prefixTemp, name[len(prefixTemp):], false
		if strings.HasPrefix(name, prefixSevere) {
			prefix, sensor, severe = prefixSevere, name[len(prefixSevere):], true
		}
		if !validSensorName(sensor) {
			return fmt.Errorf("bad sensor name in %q: want %sNAME, NAME of 1 to %d letters, digits, _, - or /", name, prefix, MaxSensorName)
		}
		i := slices.IndexFunc(c.Sensors, func(s Sensor) bool { return s.Name == sensor })
		if i < 0 {
			if len(c.Sensors) == MaxSensors {
				return fmt.Errorf("%s: more than %d sensors (the limit on a trace)", name, MaxSensors)
			}
			c.Sensors = append(c.Sensors, Sensor{Name: sensor})
			i = len(c.Sensors) - 1
		}
		bit = bitTemp(i)
		field := &c.Sensors[i].Celsius
		if severe {
			bit, field = bitSevere(i), &c.Sensors[i].SevereC
		}
		if val == "-" {
			*field = provider.Opt[float64]{}
			break
		}
		d, ok := splitDecimal(val, true)
		if !ok {
			return fmt.Errorf("bad %s %q: want degrees Celsius like 71.5, or - for unknown", name, val)
		}
		// Above -40: a negative value's magnitude below 40, which its
		// integer digits decide. At most 150: the digits again.
		if d.neg && d.cmpInt(40) >= 0 || !d.neg && !d.atMost(150) {
			return fmt.Errorf("%s %s outside (-40, 150] °C", name, val)
		}
		f, _ := strconv.ParseFloat(val, 64)
		if !(f > -40 && f <= 150) {
			return fmt.Errorf("%s %s outside (-40, 150] °C as a float64", name, val)
		}
		*field = provider.Some(f)
	}
	if *named&capBit(bit) != 0 {
		return fmt.Errorf("duplicate key %q", name)
	}
	*named |= capBit(bit)
	return nil
}

// checkCapacity checks what must hold after each line: a sensor with a
// temperature has a severe threshold.
func checkCapacity(c *Capacity) error {
	if c == nil {
		return nil
	}
	for _, s := range c.Sensors {
		if s.Celsius.Valid && !s.SevereC.Valid {
			return fmt.Errorf("%s%s has no severe threshold: set %s%s (the temperature of thermal headroom 1.0)", prefixTemp, s.Name, prefixSevere, s.Name)
		}
	}
	return nil
}

// validSensorName reports whether s is 1 to MaxSensorName letters,
// digits, _, - or /.
func validSensorName(s string) bool {
	if s == "" || len(s) > MaxSensorName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// decimal is a plain decimal (see isDecimal), with a leading - when
// signed, taken apart so that its range is judged on the digits written,
// not on a rounded float.
type decimal struct {
	neg      bool
	intPart  string // integer digits without leading zeros ("" for 0)
	fracZero bool   // the fraction, if any, is all zeros
}

func splitDecimal(s string, signed bool) (decimal, bool) {
	var d decimal
	if signed && strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	if !isDecimal(s) {
		return d, false
	}
	intPart, frac, _ := strings.Cut(s, ".")
	d.intPart, d.fracZero = strings.TrimLeft(intPart, "0"), strings.Trim(frac, "0") == ""
	return d, true
}

// cmpInt compares the magnitude's integer part with n >= 0: negative,
// 0 or positive as it is below, at or above n.
func (d decimal) cmpInt(n int) int {
	ns := strconv.Itoa(n)
	if n == 0 {
		ns = ""
	}
	if c := len(d.intPart) - len(ns); c != 0 {
		return c
	}
	return strings.Compare(d.intPart, ns)
}

// atMost reports whether the magnitude is at most n.
func (d decimal) atMost(n int) bool {
	c := d.cmpInt(n)
	return c < 0 || c == 0 && d.fracZero
}

// isZero reports whether the value is 0.
func (d decimal) isZero() bool { return d.intPart == "" && d.fracZero }

// appendCapacityKeys appends the capacity keys named (a capNamed mask) to
// b, each as " KEY=VALUE", in canonical order: cpus, throttling, then
// each sensor's temp and severe in the order the trace first named them.
func appendCapacityKeys(b *strings.Builder, c *Capacity, named uint64) {
	if named == 0 || c == nil {
		return
	}
	if named&capBit(bitCPUs) != 0 {
		b.WriteString(" " + keyCPUs + "=" + optString(c.CPUs, formatFloat))
	}
	if named&capBit(bitThrottling) != 0 {
		b.WriteString(" " + keyThrottling + "=" + optString(c.Throttling, strconv.FormatBool))
	}
	for i, s := range c.Sensors {
		if named&capBit(bitTemp(i)) != 0 {
			b.WriteString(" " + prefixTemp + s.Name + "=" + optString(s.Celsius, formatFloat))
		}
		if named&capBit(bitSevere(i)) != 0 {
			b.WriteString(" " + prefixSevere + s.Name + "=" + optString(s.SevereC, formatFloat))
		}
	}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// HasCapacity reports whether the trace names a capacity key (temp.NAME,
// severe.NAME, throttling or cpus) anywhere.
func (t *Trace) HasCapacity() bool {
	if t == nil {
		return false
	}
	for i := range t.events {
		if t.events[i].capNamed != 0 {
			return true
		}
	}
	return false
}

// FillCapacity writes what the state says of the device's capacity into
// *c (after c.Reset()), as provider.CapacityReader documents: the CPUs of
// cpus= (named ByTrace), the host's available memory of avail= (named
// "host"), each sensor whose temperature is known, in the order the trace
// first named them, and the throttling of throttling= (named ByTrace when
// true). What the state does not know is left out.
func (s State) FillCapacity(c *provider.Capacity) {
	c.Reset()
	if s.Readings.AvailableMemMB.Valid {
		c.MemLimits = append(c.MemLimits, provider.MemLimit{By: "host", AvailMB: s.Readings.AvailableMemMB.V})
	}
	cp := s.Capacity
	if cp == nil {
		return
	}
	if cp.CPUs.Valid {
		c.CPULimits = append(c.CPULimits, provider.CPULimit{By: ByTrace, CPUs: cp.CPUs.V})
	}
	for _, sn := range cp.Sensors {
		if sn.Celsius.Valid {
			c.Sensors = append(c.Sensors, provider.ThermalReading{Sensor: sn.Name, Celsius: sn.Celsius.V, SevereC: sn.SevereC.V})
		}
	}
	c.Throttling = cp.Throttling
	if cp.Throttling.Valid && cp.Throttling.V {
		c.ThrottlingBy = ByTrace
	}
}

// ReadCapacity reads the trace's capacity at the current offset into *c,
// as provider.CapacityReader's Capacity does, under the same delay and
// error rules as every read: a failing read leaves *c empty.
func (p *Provider) ReadCapacity(ctx context.Context, c *provider.Capacity) error {
	p.capReads.Add(1)
	st, _, err := p.read(ctx)
	if err != nil {
		c.Reset()
		return err
	}
	st.FillCapacity(c)
	return nil
}

// CapacityReads returns how many times ReadCapacity has been called.
func (p *Provider) CapacityReads() int64 { return p.capReads.Load() }

// Capable returns p with the capabilities its trace scripts: p with
// provider.CapacityReader (its ReadCapacity) when the trace names a
// capacity key, else p itself. A monitor of a trace without those keys so
// stays bounded by the host, as for a platform that cannot read its
// limits.
func (p *Provider) Capable() provider.SnapshotProvider {
	if p.trace.HasCapacity() {
		return capacityProvider{p}
	}
	return p
}

// capacityProvider is a Provider that is a provider.CapacityReader.
type capacityProvider struct{ *Provider }

var _ provider.CapacityReader = capacityProvider{}

func (p capacityProvider) Capacity(ctx context.Context, c *provider.Capacity) error {
	return p.ReadCapacity(ctx, c)
}
