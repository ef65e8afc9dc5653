package linux

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restel/restel/provider"
)

// FuzzSlowSignalsTree drives the whole slow-signal walk over the laptop and
// desktop fixture listings with every attribute's content chosen by the
// fuzzer (through an injected attrReader): never a panic, never an error
// with a live context, a bounded number of reads, and a battery within
// [0, 100].
func FuzzSlowSignalsTree(f *testing.F) {
	f.Add([]byte("62000\n"), []byte("passive\n"), []byte("95000\n"), []byte("enabled\n"), []byte("Processor\n"), []byte("1\n"),
		[]byte("Battery\n"), []byte("System\n"), []byte("87\n"), []byte("45240000\n"), []byte("52000000\n"))
	f.Add([]byte("-273150\n"), []byte("critical\n"), []byte("999999000\n"), []byte("disabled\n"), []byte("Fan\n"), []byte("-1\n"),
		[]byte("Battery\n"), []byte("Device\n"), []byte("-5\n"), []byte("-1\n"), []byte("0\n"))
	f.Add([]byte(""), []byte(""), []byte(""), []byte(""), []byte(""), []byte(""),
		[]byte(""), []byte(""), []byte(""), []byte(""), []byte(""))
	trees := []string{fixture("sysfs-laptop"), fixture("sysfs-desktop-hwmon")}
	f.Fuzz(func(t *testing.T, temp, tripType, tripTemp, mode, coolType, curState, psType, scope, capacity, now, full []byte) {
		pick := func(path string) []byte {
			base := filepath.Base(path)
			switch {
			case base == "temp" || strings.HasSuffix(base, "_input"):
				return temp
			case strings.HasSuffix(base, "_type"):
				return tripType
			case strings.HasSuffix(base, "_temp") || strings.HasSuffix(base, "_max") || strings.HasSuffix(base, "_crit"):
				return tripTemp
			case base == "mode":
				return mode
			case base == "type" && strings.Contains(path, "cooling_device"):
				return coolType
			case base == "type":
				return psType
			case base == "cur_state":
				return curState
			case base == "scope":
				return scope
			case base == "capacity":
				return capacity
			case strings.HasSuffix(base, "_now"):
				return now
			case strings.HasSuffix(base, "_full"):
				return full
			}
			return nil
		}
		for _, tree := range trees {
			reads := 0
			read := func(path string) ([]byte, error) {
				reads++
				b := pick(path)
				if len(b) == 0 {
					return nil, fmt.Errorf("%w: %s: empty attribute", provider.ErrInvalid, path)
				}
				return b, nil
			}
			s := newSysfsSignals(tree, read)
			th, err := s.Thermal(t.Context())
			if err != nil || th > provider.ThermalCritical {
				t.Fatalf("%s: Thermal = %v, %v", tree, th, err)
			}
			b, err := s.Battery(t.Context())
			if b.Valid && b.V > 100 {
				t.Fatalf("%s: Battery = %d", tree, b.V)
			}
			if err != nil && b.Valid {
				t.Fatalf("%s: Battery = %+v with error %v", tree, b, err)
			}
			// Trip probing is bounded by maxTripPoints per zone even when
			// every trip_point_N_type "exists".
			if reads > 8*(2+2*maxTripPoints)+200 {
				t.Fatalf("%s: %d reads", tree, reads)
			}
		}
	})
}
