package linux

import (
	"bytes"
	"math"

	"github.com/restel/restel/provider"
)

// This file holds the pure half of the slow signals: parsers over attribute
// bytes and the docs/contract.md §2 mapping rules over numbers. Nothing here touches the
// filesystem, so every rule is table-tested and every parser fuzzed.

// Temperatures are kept in millidegrees Celsius, the unit of
// thermal_zone*/temp, trip_point_*_temp and hwmon temp*_* attributes
// (Documentation/ABI/testing/sysfs-class-thermal,
// Documentation/hwmon/sysfs-interface.rst), so every comparison is exact
// integer arithmetic.
const (
	minReadingMilli  = -40_000 // readings must be above −40 °C ...
	maxReadingMilli  = 150_000 // ... and at most 150 °C
	criticalLeadMill = 5_000   // critical from 5 °C below the critical trip
	warmLeadMilli    = 10_000  // warm from 10 °C below passive trip / max
)

// isSpace reports ASCII whitespace, the only kind sysfs emits.
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// trimAttr strips the surrounding whitespace (the trailing newline of
// sysfs_emit) and NUL bytes some drivers leave in a buffer.
func trimAttr(b []byte) []byte {
	for len(b) > 0 && (isSpace(b[len(b)-1]) || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// parseAttrInt parses a decimal integer attribute such as "45000\n" or
// "-273150\n". Surrounding whitespace is allowed; anything else — empty,
// a fraction, hex, trailing garbage, a value outside int64 — is rejected.
// It never allocates.
func parseAttrInt(b []byte) (int64, bool) {
	b = trimAttr(b)
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg = true
		b = b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	// Accumulate as a negative number so math.MinInt64 parses too.
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v < (math.MinInt64+d)/10 {
			return 0, false // overflow
		}
		v = v*10 - d
	}
	if neg {
		return v, true
	}
	if v == math.MinInt64 {
		return 0, false
	}
	return -v, true
}

// attrIs reports whether the attribute's trimmed content is exactly want.
func attrIs(b []byte, want string) bool { return string(trimAttr(b)) == want }

// saneReading reports whether a reading in millidegrees lies in the sanity
// range (−40 °C, 150 °C] of docs/contract.md §2. Readings outside it come from
// unplugged or broken sensors and are skipped.
func saneReading(milli int64) bool { return milli > minReadingMilli && milli <= maxReadingMilli }

// saneLimit reports whether a trip point or hwmon limit is usable: above
// 0 °C and at most 150 °C (docs/contract.md §2). Firmware fills unused trips with
// absurd values (−273150, 999999000, 0), which must not classify anything.
func saneLimit(milli int64) bool { return milli > 0 && milli <= maxReadingMilli }

// tripKind is the type of a thermal zone trip point
// (thermal_zone*/trip_point_N_type: "critical", "hot", "passive", "active").
type tripKind uint8

const (
	tripOther tripKind = iota // "active" and anything unknown: ignored
	tripCritical
	tripHot
	tripPassive
)

// parseTripKind parses a trip_point_N_type attribute.
func parseTripKind(b []byte) tripKind {
	switch string(trimAttr(b)) {
	case "critical":
		return tripCritical
	case "hot":
		return tripHot
	case "passive":
		return tripPassive
	}
	return tripOther
}

// limit is an optional temperature limit in millidegrees.
type limit struct {
	milli int64
	ok    bool
}

// lower keeps the lowest usable limit: the first trip the zone reaches.
func (l *limit) lower(milli int64) {
	if !saneLimit(milli) {
		return
	}
	if !l.ok || milli < l.milli {
		*l = limit{milli: milli, ok: true}
	}
}

// zoneTrips holds the lowest usable trip of each kind that classifies a
// thermal zone. Active (fan) trips do not.
type zoneTrips struct {
	critical, hot, passive limit
}

// add records one trip point; unusable temperatures are ignored.
func (z *zoneTrips) add(kind tripKind, milli int64) {
	switch kind {
	case tripCritical:
		z.critical.lower(milli)
	case tripHot:
		z.hot.lower(milli)
	case tripPassive:
		z.passive.lower(milli)
	}
}

// bandsState maps a temperature without device limits to the fixed bands
// of docs/contract.md §2 via provider.ThermalFromCelsius.
func bandsState(milli int64) provider.ThermalState {
	return provider.ThermalFromCelsius(float64(milli) / 1000)
}

// classifyZone maps a thermal zone reading to a state with its trip points
// (docs/contract.md §2), in this order:
//
//   - critical if temp >= lowest critical trip − 5 °C, or temp >= lowest
//     hot trip;
//   - hot if temp >= lowest passive trip;
//   - warm if temp >= lowest passive trip − 10 °C;
//   - otherwise normal.
//
// Each rule applies only when its trip exists. A zone with neither a usable
// passive nor a usable critical trip uses the bands instead of "otherwise
// normal": its hot trip, if any, still makes it critical (a hot trip is the
// firmware's own emergency line), and below that the bands decide. A zone
// with a critical trip but no passive trip is therefore critical from
// critical − 5 °C (or its hot trip) and normal below: its firmware declared
// where danger starts, and the bands would second-guess it.
func classifyZone(milli int64, t zoneTrips) provider.ThermalState {
	if (t.critical.ok && milli >= t.critical.milli-criticalLeadMill) || (t.hot.ok && milli >= t.hot.milli) {
		return provider.ThermalCritical
	}
	if !t.passive.ok && !t.critical.ok {
		return bandsState(milli)
	}
	if t.passive.ok {
		switch {
		case milli >= t.passive.milli:
			return provider.ThermalHot
		case milli >= t.passive.milli-warmLeadMilli:
			return provider.ThermalWarm
		}
	}
	return provider.ThermalNormal
}

// classifyHwmon maps a hwmon reading to a state with the sensor's limits
// (docs/contract.md §2): critical if temp >= temp*_crit, hot if temp >= temp*_max, warm
// if temp >= temp*_max − 10 °C, otherwise normal. Limits outside
// (0 °C, 150 °C] are ignored as for trip points (drivers report 0 or
// 255000 for "no limit"). A sensor with no usable limit uses the bands; one
// with only a critical limit is critical at or above it and normal below.
func classifyHwmon(milli int64, crit, max limit) provider.ThermalState {
	if !crit.ok && !max.ok {
		return bandsState(milli)
	}
	switch {
	case crit.ok && milli >= crit.milli:
		return provider.ThermalCritical
	case max.ok && milli >= max.milli:
		return provider.ThermalHot
	case max.ok && milli >= max.milli-warmLeadMilli:
		return provider.ThermalWarm
	}
	return provider.ThermalNormal
}

// isThrottlingCooler reports whether a cooling_device*/type names a device
// whose activity means the CPU is being throttled (docs/contract.md §2): "Processor"
// (ACPI processor P/T-state cooling), "thermal-cpufreq-N" (cpufreq
// cooling) or "intel_powerclamp" (idle injection). Fans ("Fan") and other
// coolers are not throttling.
func isThrottlingCooler(b []byte) bool {
	t := trimAttr(b)
	return string(t) == "Processor" || string(t) == "intel_powerclamp" ||
		bytes.HasPrefix(t, []byte("thermal-cpufreq-"))
}

// batteryReading is what one battery contributed: its charge in percent
// (fractional when derived from energy or charge) and its full capacity in
// both units the kernel may report, used as weights when combining several
// batteries. A full capacity of 0 means the battery did not report it.
type batteryReading struct {
	pct        float64 // in [0, 100]; meaningful when hasPct
	hasPct     bool
	energyFull float64 // energy_full, µWh
	chargeFull float64 // charge_full, µAh
}

// parseCapacity parses power_supply/*/capacity (percent). Negative, empty
// or unparsable is no value; above 100 is 100 (docs/contract.md §2).
func parseCapacity(b []byte) (float64, bool) {
	v, ok := parseAttrInt(b)
	if !ok || v < 0 {
		return 0, false
	}
	return float64(min(v, 100)), true
}

// ratioPct is 100·now/full for energy_now/energy_full or
// charge_now/charge_full, capped at 100. A negative now or a full that is
// not positive is no value.
func ratioPct(now, full int64) (float64, bool) {
	if now < 0 || full <= 0 {
		return 0, false
	}
	return min(100*float64(now)/float64(full), 100), true
}

// combineBatteries combines the readings of several batteries (docs/contract.md §2):
// weighted by full energy (energy_full) where every battery with a value
// reports it, else by full charge (charge_full) where every one reports
// that, otherwise the plain mean of the percentages; rounded to the nearest
// integer, halves up. Energy and charge weights are never mixed (µWh and
// µAh do not compare). Batteries without a value take no part; no value at
// all is invalid.
func combineBatteries(rs []batteryReading) provider.Opt[uint8] {
	n := 0
	allEnergy, allCharge := true, true
	var maxEnergy, maxCharge float64
	for _, r := range rs {
		if !r.hasPct {
			continue
		}
		n++
		allEnergy = allEnergy && r.energyFull > 0 && !math.IsInf(r.energyFull, 0)
		allCharge = allCharge && r.chargeFull > 0 && !math.IsInf(r.chargeFull, 0)
		maxEnergy = max(maxEnergy, r.energyFull)
		maxCharge = max(maxCharge, r.chargeFull)
	}
	if n == 0 {
		return provider.Opt[uint8]{}
	}
	// Real capacities (tens of millions of µWh) keep the sums exact; absurd
	// ones are scaled down by the largest so the sums cannot overflow.
	const exactWeights = 1 << 40
	if maxEnergy <= exactWeights {
		maxEnergy = 1
	}
	if maxCharge <= exactWeights {
		maxCharge = 1
	}
	var sum, weights float64
	for _, r := range rs {
		if !r.hasPct {
			continue
		}
		w := 1.0
		switch {
		case allEnergy:
			w = r.energyFull / maxEnergy
		case allCharge:
			w = r.chargeFull / maxCharge
		}
		sum += r.pct * w
		weights += w
	}
	pct := math.Round(sum / weights)
	if math.IsNaN(pct) || pct < 0 {
		return provider.Opt[uint8]{}
	}
	return provider.BatteryPct(uint64(min(pct, 100)))
}
