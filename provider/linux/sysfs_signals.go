package linux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/restel/restel/provider"
)

// sysfsSignals reads the slow signals — thermal state and battery charge —
// from a sysfs tree (docs/contract.md §2 "Thermal state" and "Battery"). They can be
// slow (embedded-controller queries, sleeping sensors), so the Provider
// exposes them as the provider.ThermalReader and provider.BatteryReader
// capabilities, polled off the hot path; they are never read inside a fast
// Snapshot refresh.
//
// A sysfsSignals holds no mutable state and is safe for concurrent use.
type sysfsSignals struct {
	root string     // sysfs mount point, "/sys" on a live system
	read attrReader // one bounded, non-blocking attribute read
	// list lists a class directory; nil selects listDir.
	list func(dir string) ([]string, error)
}

// listDir lists a class directory through s.list (see listDir).
func (s *sysfsSignals) listDir(dir string) ([]string, error) {
	if s.list != nil {
		return s.list(dir)
	}
	return listDir(dir)
}

// newSysfsSignals returns the slow-signal reader for the sysfs tree at
// sysfsRoot. A nil read selects [readAttr]. The root is not checked here:
// the Provider's constructor checks it; a missing class directory is simply
// "no sensor" / "no battery".
func newSysfsSignals(sysfsRoot string, read attrReader) *sysfsSignals {
	if read == nil {
		read = readAttr
	}
	return &sysfsSignals{root: sysfsRoot, read: read}
}

// Thermal implements provider.ThermalReader (docs/contract.md §2 "Thermal state").
// Sources in order: thermal zones (<sysfs>/class/thermal/thermal_zone*), and
// only if no zone is usable, hwmon sensors
// (<sysfs>/class/hwmon/hwmon*/temp*_input). The state is the worst over the
// usable sensors of the chosen source. A throttling cooling device
// (<sysfs>/class/thermal/cooling_device*) raises it to at least hot — also
// when no sensor is usable, because active throttling is itself a reading
// that the device is hot.
//
// ThermalUnknown with a nil error means no usable sensor. An error is
// returned only for a cancelled ctx, or when nothing was usable and a class
// directory could not be listed for a reason other than its absence.
func (s *sysfsSignals) Thermal(ctx context.Context) (provider.ThermalState, error) {
	if err := ctx.Err(); err != nil {
		return provider.ThermalUnknown, err
	}
	var bad error
	s = s.noting(&bad)
	thermalDir := s.root + "/class/thermal"
	names, listErr := s.listDir(thermalDir)

	state, err := s.zonesState(ctx, thermalDir, names)
	if err != nil {
		return provider.ThermalUnknown, err
	}
	if !state.Known() {
		var hwErr error
		state, hwErr = s.hwmonState(ctx, s.root+"/class/hwmon")
		if ctxErr := ctx.Err(); ctxErr != nil {
			return provider.ThermalUnknown, ctxErr
		}
		if listErr == nil {
			listErr = hwErr
		}
	}
	throttled, err := s.throttling(ctx, thermalDir, names)
	if err != nil {
		return provider.ThermalUnknown, err
	}
	if throttled {
		state = state.Worst(provider.ThermalHot)
	}
	if err := ctx.Err(); err != nil {
		return provider.ThermalUnknown, err // a zone's trips may have been cut short
	}
	if !state.Known() && (listErr == nil || errors.Is(bad, ErrAbandoned)) {
		// A sensor that did not answer spent the read timeout: what was
		// not read after it is its consequence, not the cause.
		listErr = bad
	}
	if !state.Known() && listErr != nil {
		return provider.ThermalUnknown, fmt.Errorf("thermal: %w", listErr)
	}
	return state, nil
}

// noting returns a copy of s whose reads record in *bad the first read
// refused because the attribute is not a regular file or is too large to be
// one, or abandoned because it did not answer within the read timeout: a
// sensor skipped for that is not a driver's transient fault but a tree
// that is not sysfs, worth an error when nothing else was usable.
func (s *sysfsSignals) noting(bad *error) *sysfsSignals {
	read := s.read
	return &sysfsSignals{root: s.root, list: s.list, read: func(path string) ([]byte, error) {
		b, err := read(path)
		if err != nil && *bad == nil && (errors.Is(err, errNotRegular) || errors.Is(err, errAttrTooLarge) ||
			errors.Is(err, ErrAbandoned) || errors.Is(err, errOutOfTime)) {
			*bad = err
		}
		return b, err
	}}
}

// Battery implements provider.BatteryReader (docs/contract.md §2 "Battery") over
// <sysfs>/class/power_supply/*: supplies of type Battery whose scope is not
// Device (peripheral batteries of mice and keyboards are excluded). An
// invalid Opt with a nil error means the device has no battery; an invalid
// Opt with an error wrapping provider.ErrInvalid means batteries exist but
// none gave a usable value.
func (s *sysfsSignals) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	var bad error
	pct, err := s.noting(&bad).battery(ctx, s.root+"/class/power_supply")
	if !pct.Valid && errors.Is(err, provider.ErrInvalid) && bad != nil {
		err = fmt.Errorf("%w: %w", err, bad)
	}
	return pct, err
}

// maxDirEntries bounds the entries listed from one class or hwmon
// directory; a real one has at most a few hundred.
const maxDirEntries = 1 << 16

// listDir returns the entry names of a sysfs class directory, sorted. The
// entries are symlinks to device directories; callers open paths through
// them, which follows the links. A missing directory lists as empty with a
// nil error (the device has no such class); other failures are returned:
// anything but a directory (a named pipe, a file) is refused without
// blocking (openDir), and at most maxDirEntries names are listed.
func listDir(dir string) ([]string, error) {
	f, err := openDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var names []string
	for len(names) < maxDirEntries {
		batch, err := f.Readdirnames(min(1024, maxDirEntries-len(names)))
		names = append(names, batch...)
		if err != nil {
			if len(names) == 0 && !errors.Is(err, io.EOF) {
				return nil, err
			}
			break
		}
	}
	slices.Sort(names)
	return names, nil
}
