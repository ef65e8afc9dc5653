package linux

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/restel/restel/provider"
)

// maxTripPoints bounds the trip_point_N_* probing of one zone. The kernel
// numbers trips 0..n−1 without gaps (drivers/thermal/thermal_sysfs.c), so
// probing stops at the first missing trip_point_N_type; the bound only
// protects against a hostile tree.
const maxTripPoints = 64

// zonesState is the worst state over the usable thermal zones listed in
// names (entries of <sysfs>/class/thermal), or ThermalUnknown if none is
// usable. Only a cancelled ctx is an error.
func (s *sysfsSignals) zonesState(ctx context.Context, thermalDir string, names []string) (provider.ThermalState, error) {
	state := provider.ThermalUnknown
	for _, name := range names {
		if !strings.HasPrefix(name, "thermal_zone") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return provider.ThermalUnknown, err
		}
		if zs, ok := s.zoneState(ctx, thermalDir+"/"+name); ok {
			state = state.Worst(zs)
		}
	}
	return state, nil
}

// zoneState reads one thermal zone directory
// (Documentation/ABI/testing/sysfs-class-thermal): mode, temp and the
// trip_point_N_type / trip_point_N_temp pairs. It reports false for an
// unusable zone: mode "disabled", or a temp read that fails (EINVAL,
// ENODATA, EAGAIN, EIO, ENODEV, permission, empty), does not parse, or lies
// outside (−40 °C, 150 °C]. A zone without a mode attribute, or whose mode
// cannot be read, is judged by its temp alone.
func (s *sysfsSignals) zoneState(ctx context.Context, dir string) (provider.ThermalState, bool) {
	if b, err := s.read(dir + "/mode"); err == nil && attrIs(b, "disabled") {
		return provider.ThermalUnknown, false
	}
	b, err := s.read(dir + "/temp")
	if err != nil {
		return provider.ThermalUnknown, false
	}
	milli, ok := parseAttrInt(b)
	if !ok || !saneReading(milli) {
		return provider.ThermalUnknown, false
	}
	trips := s.zoneTrips(ctx, dir)
	return classifyZone(milli, trips), true
}

// zoneTrips reads the trip points of a zone. Trips of an unknown or active
// type are not read further; a trip whose type or temp cannot be read or
// parsed is ignored, as is one outside (0 °C, 150 °C].
func (s *sysfsSignals) zoneTrips(ctx context.Context, dir string) zoneTrips {
	var trips zoneTrips
	for i := range maxTripPoints {
		if ctx.Err() != nil {
			break
		}
		n := strconv.Itoa(i) // below 100: a static string, no allocation
		b, err := s.read(dir + "/trip_point_" + n + "_type")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			continue
		}
		kind := parseTripKind(b)
		if kind == tripOther {
			continue
		}
		b, err = s.read(dir + "/trip_point_" + n + "_temp")
		if err != nil {
			continue
		}
		if milli, ok := parseAttrInt(b); ok {
			trips.add(kind, milli)
		}
	}
	return trips
}

// throttling reports whether a cooling device listed in names (entries of
// <sysfs>/class/thermal) is throttling the CPU: its type is a throttling
// cooler (see isThrottlingCooler) and its cur_state is above 0. Unreadable
// devices are not throttling. Only a cancelled ctx is an error.
func (s *sysfsSignals) throttling(ctx context.Context, thermalDir string, names []string) (bool, error) {
	for _, name := range names {
		if !strings.HasPrefix(name, "cooling_device") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		dir := thermalDir + "/" + name
		b, err := s.read(dir + "/type")
		if err != nil || !isThrottlingCooler(b) {
			continue
		}
		b, err = s.read(dir + "/cur_state")
		if err != nil {
			continue
		}
		if v, ok := parseAttrInt(b); ok && v > 0 {
			return true, nil
		}
	}
	return false, nil
}

// hwmonState is the worst state over the usable hwmon temperature sensors
// (<sysfs>/class/hwmon/hwmon*/temp*_input, Documentation/hwmon/sysfs-interface.rst),
// or ThermalUnknown if none is usable. A sensor is usable under the same
// read and sanity rules as a thermal zone; its temp*_crit and temp*_max
// limits classify it (see classifyHwmon). The error reports a class or
// device directory that exists but cannot be listed, or a cancelled ctx.
func (s *sysfsSignals) hwmonState(ctx context.Context, hwmonDir string) (provider.ThermalState, error) {
	devs, err := s.listDir(hwmonDir)
	state := provider.ThermalUnknown
	for _, dev := range devs {
		if !strings.HasPrefix(dev, "hwmon") {
			continue
		}
		if cerr := ctx.Err(); cerr != nil {
			return provider.ThermalUnknown, cerr
		}
		dir := hwmonDir + "/" + dev
		files, lerr := s.listDir(dir)
		if lerr != nil && err == nil {
			err = lerr
		}
		for _, f := range files {
			sensor, ok := strings.CutSuffix(f, "_input")
			if !ok || !strings.HasPrefix(sensor, "temp") {
				continue
			}
			if cerr := ctx.Err(); cerr != nil {
				return provider.ThermalUnknown, cerr
			}
			if st, ok := s.hwmonSensor(dir + "/" + sensor); ok {
				state = state.Worst(st)
			}
		}
	}
	return state, err
}

// hwmonSensor reads one hwmon temperature sensor: base+"_input", and its
// optional base+"_crit" and base+"_max" limits.
func (s *sysfsSignals) hwmonSensor(base string) (provider.ThermalState, bool) {
	b, err := s.read(base + "_input")
	if err != nil {
		return provider.ThermalUnknown, false
	}
	milli, ok := parseAttrInt(b)
	if !ok || !saneReading(milli) {
		return provider.ThermalUnknown, false
	}
	return classifyHwmon(milli, s.readLimit(base+"_crit"), s.readLimit(base+"_max")), true
}

// readLimit reads an optional limit attribute; a failed, unparsable or
// insane one is absent.
func (s *sysfsSignals) readLimit(path string) limit {
	var l limit
	if b, err := s.read(path); err == nil {
		if v, ok := parseAttrInt(b); ok {
			l.lower(v)
		}
	}
	return l
}
