package linux

import (
	"context"
	"fmt"

	"github.com/restel/restel/provider"
)

// battery reads the system batteries under psDir
// (<sysfs>/class/power_supply, Documentation/ABI/testing/sysfs-class-power):
// every supply whose type is "Battery" and whose scope is not "Device"
// (a missing scope is a system battery). One battery reports its own
// charge; several are combined by combineBatteries. Reading a full capacity
// for weighting is skipped when there is only one battery.
func (s *sysfsSignals) battery(ctx context.Context, psDir string) (provider.Opt[uint8], error) {
	if err := ctx.Err(); err != nil {
		return provider.Opt[uint8]{}, err
	}
	names, err := s.listDir(psDir)
	if err != nil {
		return provider.Opt[uint8]{}, fmt.Errorf("battery: %w", err)
	}
	var dirs []string
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return provider.Opt[uint8]{}, err
		}
		dir := psDir + "/" + name
		if b, err := s.read(dir + "/type"); err != nil || !attrIs(b, "Battery") {
			continue
		}
		if b, err := s.read(dir + "/scope"); err == nil && attrIs(b, "Device") {
			continue
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		return provider.Opt[uint8]{}, nil // no battery: not a fault
	}
	var stack [4]batteryReading
	rs := stack[:0]
	weigh := len(dirs) > 1
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return provider.Opt[uint8]{}, err
		}
		rs = append(rs, s.batteryReading(dir, weigh))
	}
	if err := ctx.Err(); err != nil {
		return provider.Opt[uint8]{}, err
	}
	if pct := combineBatteries(rs); pct.Valid {
		return pct, nil
	}
	return provider.Opt[uint8]{}, unusableBatteries(len(dirs), psDir)
}

// unusableBatteries is the error of n batteries under psDir none of which
// reports a usable capacity, energy or charge.
func unusableBatteries(n int, psDir string) error {
	if n == 1 {
		return fmt.Errorf("battery: the battery under %s has no usable capacity, energy or charge: %w", psDir, provider.ErrInvalid)
	}
	return fmt.Errorf("battery: none of the %d batteries under %s has a usable capacity, energy or charge: %w", n, psDir, provider.ErrInvalid)
}

// batteryReading reads one battery directory: capacity, else
// energy_now/energy_full, else charge_now/charge_full. With weigh set
// (several batteries) it also reads both energy_full and charge_full as
// weights for combineBatteries; a full capacity that is not positive is no
// weight.
func (s *sysfsSignals) batteryReading(dir string, weigh bool) batteryReading {
	var r batteryReading
	if b, err := s.read(dir + "/capacity"); err == nil {
		r.pct, r.hasPct = parseCapacity(b)
	}
	energyFull := s.readInt(dir+"/energy_full", weigh || !r.hasPct)
	if !r.hasPct && energyFull.Valid && energyFull.V > 0 {
		if now := s.readInt(dir+"/energy_now", true); now.Valid {
			r.pct, r.hasPct = ratioPct(now.V, energyFull.V)
		}
	}
	chargeFull := s.readInt(dir+"/charge_full", weigh || !r.hasPct)
	if !r.hasPct && chargeFull.Valid && chargeFull.V > 0 {
		if now := s.readInt(dir+"/charge_now", true); now.Valid {
			r.pct, r.hasPct = ratioPct(now.V, chargeFull.V)
		}
	}
	if energyFull.Valid && energyFull.V > 0 {
		r.energyFull = float64(energyFull.V)
	}
	if chargeFull.Valid && chargeFull.V > 0 {
		r.chargeFull = float64(chargeFull.V)
	}
	return r
}

// readInt reads an integer attribute when want is set; a failed or
// unparsable read is absent.
func (s *sysfsSignals) readInt(path string, want bool) provider.Opt[int64] {
	if !want {
		return provider.Opt[int64]{}
	}
	b, err := s.read(path)
	if err != nil {
		return provider.Opt[int64]{}
	}
	v, ok := parseAttrInt(b)
	return provider.Opt[int64]{V: v, Valid: ok}
}
