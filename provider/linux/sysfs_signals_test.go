package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/restel/restel/provider"
)

// writeTree writes files (slash-separated path relative to root →
// content), creating directories. An existing file is rewritten in place
// (same inode), as the kernel's files change under an open descriptor.
func writeTree(tb testing.TB, root string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// faultReader wraps readAttr: a path whose suffix (relative to the tree)
// matches a key fails with that error, wrapped as a real read would be.
// It counts the reads of every path.
type faultReader struct {
	faults map[string]error
	mu     sync.Mutex
	calls  map[string]int
}

func (f *faultReader) read(path string) ([]byte, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[path]++
	f.mu.Unlock()
	for suffix, err := range f.faults {
		if strings.HasSuffix(path, suffix) {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
	}
	return readAttr(path)
}

func (f *faultReader) total() (n, max int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		n += c
		if c > max {
			max = c
		}
	}
	return n, max
}

// errNoData is Linux's ENODATA (asm-generic/errno.h), the error of a
// sensor with no reading. The syscall package has no ENODATA on the BSDs,
// where these tests must still build; the slow signals treat every read
// error alike, so only the message depends on the number.
const errNoData = syscall.Errno(61)

func fixture(name string) string { return filepath.Join("testdata", name) }

func TestSlowSignalsFixtures(t *testing.T) {
	tests := []struct {
		tree    string
		thermal provider.ThermalState
		battery provider.Opt[uint8]
	}{
		// x86_pkg_temp at 62 °C has only unused (0 °C) passive trips: bands →
		// warm. acpitz and pch are far below their critical trips; SEN1 is
		// more than 10 °C below passive; iwlwifi has no reading; the running
		// Fan is not throttling. BAT0 87 %; the mouse (scope Device) and the
		// AC adapter and USB-C port (not Battery) are excluded.
		{"sysfs-laptop", provider.ThermalWarm, provider.Some[uint8](87)},
		// One cpu-thermal zone without trips or mode at 47.236 °C; no battery.
		{"sysfs-rpi", provider.ThermalNormal, provider.Opt[uint8]{}},
		// No zone: hwmon. coretemp package at 75 °C with max 84 → warm;
		// nvme without limits by bands; nct6798's max 0 and crit 255 are
		// ignored and its −128 °C sensor skipped. Only a keyboard battery.
		{"sysfs-desktop-hwmon", provider.ThermalWarm, provider.Opt[uint8]{}},
		// Two batteries weighted by energy_full: (89·23.48 + 50·71)/94.48 =
		// 59.69 → 60 (their mean would be 70).
		{"sysfs-thinkpad-2bat", provider.ThermalNormal, provider.Some[uint8](60)},
		// Only zone 7 is usable (45 °C, every trip absurd → bands). No
		// cooler state parses above 0. BAT0: capacity −5 and energy_now −1
		// rejected, charge 2/4 → 50 %; BAT1 has no value; BAT2 101 → 100;
		// BAT3's type "battery" is not "Battery". No common full → mean 75.
		{"sysfs-hostile", provider.ThermalNormal, provider.Some[uint8](75)},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			s := newSysfsSignals(fixture(tt.tree), nil)
			th, err := s.Thermal(t.Context())
			if th != tt.thermal || err != nil {
				t.Errorf("Thermal = %v (%d), %v; want %v (%d), nil", th, th, err, tt.thermal, tt.thermal)
			}
			b, err := s.Battery(t.Context())
			if b != tt.battery || err != nil {
				t.Errorf("Battery = %+v, %v; want %+v, nil", b, err, tt.battery)
			}
		})
	}
}

func TestSlowSignalsNoSysfs(t *testing.T) {
	s := newSysfsSignals(filepath.Join(t.TempDir(), "absent"), nil)
	if th, err := s.Thermal(t.Context()); th != provider.ThermalUnknown || err != nil {
		t.Errorf("Thermal = %v, %v; want unknown, nil", th, err)
	}
	if b, err := s.Battery(t.Context()); b.Valid || err != nil {
		t.Errorf("Battery = %+v, %v; want invalid, nil", b, err)
	}
}

// TestThermalFaults injects the read failures real drivers produce.
func TestThermalFaults(t *testing.T) {
	tests := []struct {
		name   string
		tree   string
		faults map[string]error
		want   provider.ThermalState
	}{
		{"ENODATA on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": errNoData}, provider.ThermalNormal},
		{"EAGAIN on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": syscall.EAGAIN}, provider.ThermalNormal},
		{"EIO on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": syscall.EIO}, provider.ThermalNormal},
		{"ENODEV on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": syscall.ENODEV}, provider.ThermalNormal},
		{"EINVAL on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": syscall.EINVAL}, provider.ThermalNormal},
		{"permission on the warm zone", "sysfs-laptop", map[string]error{"thermal_zone3/temp": fs.ErrPermission}, provider.ThermalNormal},
		{"every zone vanished", "sysfs-laptop", map[string]error{"/temp": fs.ErrNotExist}, provider.ThermalUnknown},
		{"mode unreadable: judged by temp", "sysfs-laptop", map[string]error{"/mode": syscall.EIO}, provider.ThermalWarm},
		// SEN1 at 55 °C: with its passive trip (95) unreadable, its critical
		// trip (105) alone → normal; x86_pkg_temp still warm.
		{"trip temp EAGAIN", "sysfs-laptop", map[string]error{"thermal_zone2/trip_point_0_temp": syscall.EAGAIN}, provider.ThermalWarm},
		{"hwmon sensor EAGAIN", "sysfs-desktop-hwmon", map[string]error{"hwmon1/temp1_input": syscall.EAGAIN}, provider.ThermalNormal},
		{"hwmon max unreadable: crit only", "sysfs-desktop-hwmon", map[string]error{"hwmon1/temp1_max": errNoData}, provider.ThermalNormal},
		{"all hwmon vanished", "sysfs-desktop-hwmon", map[string]error{"_input": fs.ErrNotExist}, provider.ThermalUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &faultReader{faults: tt.faults}
			s := newSysfsSignals(fixture(tt.tree), r.read)
			got, err := s.Thermal(t.Context())
			if got != tt.want || err != nil {
				t.Errorf("Thermal = %v (%d), %v; want %v (%d), nil", got, got, err, tt.want, tt.want)
			}
		})
	}
}

// TestEAGAINForeverIsBounded: a reader that answers EAGAIN to everything
// is called once per attribute — never retried — so a refresh is bounded.
func TestEAGAINForeverIsBounded(t *testing.T) {
	for _, tree := range []string{"sysfs-laptop", "sysfs-desktop-hwmon", "sysfs-thinkpad-2bat", "sysfs-hostile"} {
		t.Run(tree, func(t *testing.T) {
			r := &faultReader{faults: map[string]error{"": syscall.EAGAIN}}
			s := newSysfsSignals(fixture(tree), r.read)
			th, err := s.Thermal(t.Context())
			if th != provider.ThermalUnknown || err != nil {
				t.Errorf("Thermal = %v, %v; want unknown, nil", th, err)
			}
			b, err := s.Battery(t.Context())
			if b.Valid || err != nil {
				// Types cannot be read either, so no battery is found.
				t.Errorf("Battery = %+v, %v; want invalid, nil", b, err)
			}
			n, max := r.total()
			if max != 1 {
				t.Errorf("an attribute was read %d times; want once", max)
			}
			// Two reads (mode, temp) per zone, two (type, cur_state) at most
			// per cooler, one per hwmon input, one (type) per supply.
			if n > 64 {
				t.Errorf("%d reads for one refresh; want a small bound", n)
			}
		})
	}
}

func TestBatteryFaults(t *testing.T) {
	tests := []struct {
		name    string
		tree    string
		faults  map[string]error
		want    provider.Opt[uint8]
		wantErr error
	}{
		{"capacity ENODATA: energy", "sysfs-laptop", map[string]error{"BAT0/capacity": errNoData}, provider.Some[uint8](87), nil}, // 45.24/52 = 87.0
		{"all values gone", "sysfs-laptop", map[string]error{"BAT0/capacity": errNoData, "BAT0/energy_now": syscall.EIO}, provider.Opt[uint8]{}, provider.ErrInvalid},
		{"battery vanished", "sysfs-laptop", map[string]error{"BAT0/type": fs.ErrNotExist}, provider.Opt[uint8]{}, nil},
		{"scope unreadable: system", "sysfs-laptop", map[string]error{"/scope": syscall.EIO}, provider.Some[uint8](51), nil}, // mouse now counted: mean(87, 15)
		{"one weight missing: mean", "sysfs-thinkpad-2bat", map[string]error{"BAT1/energy_full": errNoData}, provider.Some[uint8](70), nil},
		{"one battery unreadable", "sysfs-thinkpad-2bat", map[string]error{"BAT1/capacity": syscall.EAGAIN, "BAT1/energy_now": syscall.EAGAIN}, provider.Some[uint8](89), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &faultReader{faults: tt.faults}
			s := newSysfsSignals(fixture(tt.tree), r.read)
			got, err := s.Battery(t.Context())
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Battery = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestSymlinkedSysfs builds a tree shaped like the real one — class entries
// are symlinks into /sys/devices — and checks they are followed.
func TestSymlinkedSysfs(t *testing.T) {
	skipWineSymlinks(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"devices/virtual/thermal/thermal_zone0/type":                   "x86_pkg_temp\n",
		"devices/virtual/thermal/thermal_zone0/temp":                   "96000\n",
		"devices/virtual/thermal/thermal_zone0/trip_point_0_type":      "passive\n",
		"devices/virtual/thermal/thermal_zone0/trip_point_0_temp":      "95000\n",
		"devices/virtual/thermal/cooling_device0/type":                 "Processor\n",
		"devices/virtual/thermal/cooling_device0/cur_state":            "0\n",
		"devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/type":        "Battery\n",
		"devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/charge_now":  "1500000\n",
		"devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0/charge_full": "2000000\n",
		"devices/platform/coretemp.0/hwmon/hwmon3/temp1_input":         "99000\n",
	})
	links := map[string]string{
		"class/thermal/thermal_zone0":   "../../devices/virtual/thermal/thermal_zone0",
		"class/thermal/cooling_device0": "../../devices/virtual/thermal/cooling_device0",
		"class/power_supply/BAT0":       "../../devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0",
		"class/hwmon/hwmon3":            "../../devices/platform/coretemp.0/hwmon/hwmon3",
	}
	for link, target := range links {
		p := filepath.Join(root, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("symlink: %v", err)
		}
	}
	s := newSysfsSignals(root, nil)
	// 96 °C >= passive 95: hot. The hwmon sensor at 99 °C is not read: a
	// zone is usable, so hwmon is not the chosen source.
	if got, err := s.Thermal(t.Context()); got != provider.ThermalHot || err != nil {
		t.Errorf("Thermal = %v, %v; want hot, nil", got, err)
	}
	if got, err := s.Battery(t.Context()); got != provider.Some[uint8](75) || err != nil {
		t.Errorf("Battery = %+v, %v; want 75, nil", got, err)
	}
}

// attrs builds sysfs attribute files under dir from (name, value) pairs;
// each value gets the trailing newline sysfs_emit writes.
func attrs(dir string, kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[dir+"/"+kv[i]] = kv[i+1] + "\n"
	}
	return m
}

func zone(n string, kv ...string) map[string]string {
	return attrs("class/thermal/thermal_zone"+n, kv...)
}

func cooler(n, typ, curState string) map[string]string {
	return attrs("class/thermal/cooling_device"+n, "type", typ, "cur_state", curState)
}

func hwmon(n string, kv ...string) map[string]string {
	return attrs("class/hwmon/hwmon"+n, kv...)
}

func bat(name string, kv ...string) map[string]string {
	return attrs("class/power_supply/"+name, kv...)
}

// tree merges attribute maps into one sysfs tree.
func tree(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// thermalCase is a sysfs tree, written into a temporary root, and the
// thermal state it must give.
type thermalCase struct {
	name  string
	files map[string]string
	want  provider.ThermalState
}

func testThermalTrees(t *testing.T, tests []thermalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			got, err := newSysfsSignals(root, nil).Thermal(t.Context())
			if got != tt.want || err != nil {
				t.Errorf("Thermal = %v (%d), %v; want %v (%d), nil", got, got, err, tt.want, tt.want)
			}
		})
	}
}

// TestThrottling covers the cooling-device rule: a throttling cooler raises
// the state to at least hot, also when no sensor is usable, and never
// lowers a critical one.
func TestThrottling(t *testing.T) {
	cool := zone("0", "temp", "40000")
	testThermalTrees(t, []thermalCase{
		{"Processor throttling raises normal", tree(cool, cooler("0", "Processor", "1")), provider.ThermalHot},
		{"cpufreq throttling", tree(cool, cooler("4", "thermal-cpufreq-2", "3")), provider.ThermalHot},
		{"powerclamp injecting idle", tree(cool, cooler("12", "intel_powerclamp", "25")), provider.ThermalHot},
		{"critical stays critical", tree(zone("0", "temp", "85000"), cooler("0", "Processor", "1")), provider.ThermalCritical},
		{"throttling without any sensor", cooler("0", "Processor", "2"), provider.ThermalHot},
		{"throttling with hwmon source", tree(hwmon("0", "temp1_input", "30000"), cooler("0", "thermal-cpufreq-0", "1")), provider.ThermalHot},
		{"throttling beside a disabled zone", tree(zone("0", "mode", "disabled", "temp", "40000"), cooler("0", "Processor", "1")), provider.ThermalHot},
		{"fan running is not throttling", tree(cool, cooler("0", "Fan", "1")), provider.ThermalNormal},
		{"devfreq is not the CPU", tree(cool, cooler("0", "thermal-devfreq-0", "1")), provider.ThermalNormal},
		{"idle throttler", tree(cool, cooler("0", "Processor", "0")), provider.ThermalNormal},
		{"negative state", tree(cool, cooler("0", "Processor", "-1")), provider.ThermalNormal},
		{"garbage state", tree(cool, cooler("0", "Processor", "1x")), provider.ThermalNormal},
	})
}

// TestThermalSourceOrder: hwmon is read only when no zone is usable, and
// the state is the worst over the chosen source's sensors.
func TestThermalSourceOrder(t *testing.T) {
	testThermalTrees(t, []thermalCase{
		{"usable zone hides hot hwmon", tree(zone("0", "temp", "40000"), hwmon("0", "temp1_input", "90000")), provider.ThermalNormal},
		{"disabled zone: hwmon", tree(zone("0", "mode", "disabled", "temp", "40000"), hwmon("0", "temp1_input", "90000")), provider.ThermalCritical},
		{"disabled hot zone beside a cool one", tree(zone("0", "mode", "disabled", "temp", "95000"), zone("1", "mode", "enabled", "temp", "40000")), provider.ThermalNormal},
		{"insane zone: hwmon", tree(zone("0", "temp", "-273150"), hwmon("0", "temp1_input", "65000")), provider.ThermalWarm},
		{"empty zone: hwmon", tree(zone("0", "temp", ""), hwmon("0", "temp1_input", "65000")), provider.ThermalWarm},
		{"worst of zones", tree(zone("0", "temp", "40000"), zone("1", "temp", "72000"), zone("10", "temp", "61000")), provider.ThermalHot},
		{"worst of hwmon sensors across chips", tree(
			hwmon("0", "temp1_input", "40000"),
			hwmon("1", "temp3_input", "81000", "temp3_crit", "80000"),
		), provider.ThermalCritical},
		{"hwmon non-temp inputs ignored", hwmon("0", "in0_input", "99000", "fan1_input", "99000", "temp1_input", "40000"), provider.ThermalNormal},
		{"hwmon sensor outside the range skipped", hwmon("0", "temp1_input", "150001", "temp2_input", "40000"), provider.ThermalNormal},
		{"reading edges: 150 included", zone("0", "temp", "150000"), provider.ThermalCritical},
		{"reading edges: above 150 excluded", zone("0", "temp", "150001"), provider.ThermalUnknown},
		{"reading edges: -40 excluded", zone("0", "temp", "-40000"), provider.ThermalUnknown},
		{"reading edges: -39.999 usable", zone("0", "temp", "-39999"), provider.ThermalNormal},
	})
}

// TestThermalTrips covers the trip-point rules of docs/contract.md §2 on trees, at
// their edges: critical from the lowest critical trip − 5 °C or the lowest
// hot trip, hot from the lowest passive trip, warm from passive − 10 °C,
// trips at or below 0 °C or above 150 °C ignored.
func TestThermalTrips(t *testing.T) {
	trips := func(temp string, kv ...string) map[string]string {
		z := zone("0", "temp", temp)
		for i := 0; i+1 < len(kv); i += 2 {
			n := strconv.Itoa(i / 2)
			maps.Copy(z, zone("0", "trip_point_"+n+"_type", kv[i], "trip_point_"+n+"_temp", kv[i+1]))
		}
		return z
	}
	full := func(temp string) map[string]string {
		return trips(temp, "passive", "90000", "critical", "105000", "hot", "102000", "active", "50000")
	}
	testThermalTrees(t, []thermalCase{
		{"passive-10 minus a bit: normal", full("79999"), provider.ThermalNormal},
		{"passive-10 exactly: warm", full("80000"), provider.ThermalWarm},
		{"passive exactly: hot", full("90000"), provider.ThermalHot},
		{"critical-5 minus a bit: hot", full("99999"), provider.ThermalHot},
		{"critical-5 exactly: critical", full("100000"), provider.ThermalCritical},
		{"hot trip exactly: critical", trips("102000", "passive", "90000", "hot", "102000"), provider.ThermalCritical},
		{"lowest critical trip counts", trips("95000", "critical", "120000", "critical", "100000"), provider.ThermalCritical},
		{"lowest passive trip counts", trips("71000", "passive", "95000", "passive", "80000"), provider.ThermalWarm},
		{"critical only: normal below critical-5", trips("99999", "critical", "105000"), provider.ThermalNormal},
		{"trip at 0 ignored: bands", trips("65000", "passive", "0", "critical", "0"), provider.ThermalWarm},
		{"trip above 150 ignored: bands", trips("65000", "passive", "150001", "critical", "999999000"), provider.ThermalWarm},
		{"negative trip ignored: bands", trips("45000", "critical", "-273150"), provider.ThermalNormal},
		{"trip at 150 usable", trips("140000", "passive", "150000"), provider.ThermalWarm},
		{"active trip alone: bands", trips("65000", "active", "50000"), provider.ThermalWarm},
		{"active trip does not classify", trips("65000", "active", "50000", "passive", "90000"), provider.ThermalNormal},
		{"trip gap stops probing", tree(zone("0", "temp", "85000"), zone("0", "trip_point_1_type", "passive", "trip_point_1_temp", "95000")), provider.ThermalCritical},
	})
}

func TestBatteryRules(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  provider.Opt[uint8]
	}{
		{"capacity", bat("BAT0", "type", "Battery", "capacity", "42"), provider.Some[uint8](42)},
		{"capacity 101 → 100", bat("BAT0", "type", "Battery", "capacity", "101"), provider.Some[uint8](100)},
		{"capacity 0", bat("BAT0", "type", "Battery", "capacity", "0"), provider.Some[uint8](0)},
		{"capacity beats energy", bat("BAT0", "type", "Battery", "capacity", "42", "energy_now", "1", "energy_full", "2"), provider.Some[uint8](42)},
		{"energy beats charge", bat("BAT0", "type", "Battery", "energy_now", "1", "energy_full", "4", "charge_now", "1", "charge_full", "2"), provider.Some[uint8](25)},
		{"energy rounds to nearest", bat("BAT0", "type", "Battery", "energy_now", "42500", "energy_full", "100000"), provider.Some[uint8](43)},
		{"energy rounds down", bat("BAT0", "type", "Battery", "energy_now", "42499", "energy_full", "100000"), provider.Some[uint8](42)},
		{"energy over full → 100", bat("BAT0", "type", "Battery", "energy_now", "110", "energy_full", "100"), provider.Some[uint8](100)},
		{"charge fallback", bat("BAT0", "type", "Battery", "energy_full", "0", "charge_now", "1", "charge_full", "3"), provider.Some[uint8](33)},
		{"negative capacity: energy", bat("BAT0", "type", "Battery", "capacity", "-1", "energy_now", "1", "energy_full", "4"), provider.Some[uint8](25)},
		{"empty capacity: charge", bat("BAT0", "type", "Battery", "capacity", "", "charge_now", "1", "charge_full", "4"), provider.Some[uint8](25)},
		{"scope System counts", bat("BAT0", "type", "Battery", "scope", "System", "capacity", "9"), provider.Some[uint8](9)},
		{"scope Unknown counts", bat("BAT0", "type", "Battery", "scope", "Unknown", "capacity", "9"), provider.Some[uint8](9)},
		{"scope Device excluded", bat("hid-1", "type", "Battery", "scope", "Device", "capacity", "9"), provider.Opt[uint8]{}},
		{"UPS is not a battery", bat("ups", "type", "UPS", "capacity", "9"), provider.Opt[uint8]{}},
		{"two weighted by charge_full", tree(
			bat("BAT0", "type", "Battery", "charge_now", "3000", "charge_full", "3000"),
			bat("BAT1", "type", "Battery", "charge_now", "0", "charge_full", "1000"),
		), provider.Some[uint8](75)},
		{"two weighted by energy_full with capacities", tree(
			bat("BAT0", "type", "Battery", "capacity", "100", "energy_full", "3000"),
			bat("BAT1", "type", "Battery", "capacity", "0", "energy_full", "1000"),
		), provider.Some[uint8](75)},
		{"energy_full 0 is no weight: charge weights", tree(
			bat("BAT0", "type", "Battery", "capacity", "100", "energy_full", "0", "charge_full", "3000"),
			bat("BAT1", "type", "Battery", "capacity", "0", "charge_full", "1000"),
		), provider.Some[uint8](75)},
		{"charge weights although one also reports energy", tree(
			bat("BAT0", "type", "Battery", "capacity", "100", "energy_full", "9000", "charge_full", "3000"),
			bat("BAT1", "type", "Battery", "capacity", "0", "charge_full", "1000"),
		), provider.Some[uint8](75)},
		{"energy vs charge: mean", tree(
			bat("BAT0", "type", "Battery", "capacity", "100", "energy_full", "3000"),
			bat("BAT1", "type", "Battery", "capacity", "0", "charge_full", "1000"),
		), provider.Some[uint8](50)},
		{"mean rounds half up", tree(
			bat("BAT0", "type", "Battery", "capacity", "50"),
			bat("BAT1", "type", "Battery", "capacity", "51"),
		), provider.Some[uint8](51)},
		{"peripheral not in the mean", tree(
			bat("BAT0", "type", "Battery", "capacity", "80"),
			bat("hidpp_battery_0", "type", "Battery", "scope", "Device", "capacity", "10"),
		), provider.Some[uint8](80)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			got, err := newSysfsSignals(root, nil).Battery(t.Context())
			if got != tt.want || err != nil {
				t.Errorf("Battery = %+v, %v; want %+v, nil", got, err, tt.want)
			}
		})
	}
}

// TestBatteryUnusable: batteries without a usable value are ErrInvalid,
// and the message leads with the component and counts them in English.
func TestBatteryUnusable(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string // the message after the root
	}{
		{"one", map[string]string{
			"class/power_supply/BAT0/type":     "Battery\n",
			"class/power_supply/BAT0/capacity": "garbage\n",
		}, "battery: the battery under %s has no usable capacity, energy or charge: invalid value"},
		{"two", map[string]string{
			"class/power_supply/BAT0/type":     "Battery\n",
			"class/power_supply/BAT0/capacity": "garbage\n",
			"class/power_supply/BAT1/type":     "Battery\n",
			"class/power_supply/BAT1/capacity": "-1\n",
		}, "battery: none of the 2 batteries under %s has a usable capacity, energy or charge: invalid value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			got, err := newSysfsSignals(root, nil).Battery(t.Context())
			if got.Valid || !errors.Is(err, provider.ErrInvalid) {
				t.Fatalf("Battery = %+v, %v; want invalid, ErrInvalid", got, err)
			}
			if want := fmt.Sprintf(tt.want, root+"/class/power_supply"); err.Error() != want {
				t.Errorf("error %q\nwant  %q", err, want)
			}
		})
	}
}

// TestSlowSignalsContext: a cancelled context stops the walk between files.
func TestSlowSignalsContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := &faultReader{}
		s := newSysfsSignals(fixture("sysfs-laptop"), r.read)
		if _, err := s.Thermal(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Thermal error = %v, want context.Canceled", err)
		}
		if _, err := s.Battery(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Battery error = %v, want context.Canceled", err)
		}
		if n, _ := r.total(); n != 0 {
			t.Errorf("%d reads after cancellation, want 0", n)
		}
	})
	for _, tree := range []string{"sysfs-laptop", "sysfs-desktop-hwmon", "sysfs-thinkpad-2bat", "sysfs-rpi"} {
		t.Run("cancelled during "+tree, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			reads := 0
			read := func(path string) ([]byte, error) {
				reads++
				cancel() // the first read cancels: the walk must stop soon after
				return readAttr(path)
			}
			s := newSysfsSignals(fixture(tree), read)
			if th, err := s.Thermal(ctx); !errors.Is(err, context.Canceled) || th != provider.ThermalUnknown {
				t.Errorf("Thermal = %v, %v; want unknown, context.Canceled", th, err)
			}
			// A zone's trips are cut short too: at most mode, temp and one trip type.
			if reads > 3 {
				t.Errorf("Thermal made %d reads after cancelling, want <= 3", reads)
			}
		})
	}
	t.Run("cancelled during battery", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		reads := 0
		read := func(path string) ([]byte, error) {
			reads++
			cancel()
			return readAttr(path)
		}
		s := newSysfsSignals(fixture("sysfs-thinkpad-2bat"), read)
		if b, err := s.Battery(ctx); !errors.Is(err, context.Canceled) || b.Valid {
			t.Errorf("Battery = %+v, %v; want invalid, context.Canceled", b, err)
		}
		if reads > 2 {
			t.Errorf("Battery made %d reads after cancelling, want <= 2", reads)
		}
	})
}

// TestSlowSignalsConcurrent: a sysfsSignals is stateless and safe for
// concurrent use (run with -race).
func TestSlowSignalsConcurrent(t *testing.T) {
	s := newSysfsSignals(fixture("sysfs-laptop"), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			th, err := s.Thermal(t.Context())
			if th != provider.ThermalWarm || err != nil {
				errs <- fmt.Errorf("Thermal = %v, %v", th, err)
			}
			b, err := s.Battery(t.Context())
			if b != provider.Some[uint8](87) || err != nil {
				errs <- fmt.Errorf("Battery = %+v, %v", b, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestThermalListError: a class directory that exists but cannot be listed
// is reported when nothing else was usable.
func TestThermalListError(t *testing.T) {
	skipOnWindows(t, "listing a file fails with ERROR_DIRECTORY or ERROR_PATH_NOT_FOUND, not ENOTDIR")
	root := t.TempDir()
	// class/thermal is a file, not a directory: listing it fails.
	writeTree(t, root, map[string]string{"class/thermal": "not a directory\n"})
	th, err := newSysfsSignals(root, nil).Thermal(t.Context())
	if th != provider.ThermalUnknown || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("Thermal = %v, %v; want unknown and a listing error wrapping ENOTDIR", th, err)
	}
}

// TestSlowSignalsLive reads this machine's /sys (skipped where absent) and
// checks plausibility: no error, a state in range, a battery in [0, 100].
// Virtual machines usually have neither sensors nor batteries; both are
// then unknown, not errors.
func TestSlowSignalsLive(t *testing.T) {
	if _, err := os.Stat("/sys/class"); err != nil {
		t.Skipf("no live sysfs: %v", err)
	}
	s := newSysfsSignals("/sys", nil)
	th, err := s.Thermal(t.Context())
	if err != nil || th > provider.ThermalCritical {
		t.Errorf("live Thermal = %v, %v", th, err)
	}
	b, err := s.Battery(t.Context())
	if b.Valid && b.V > 100 {
		t.Errorf("live Battery = %d", b.V)
	}
	t.Logf("live /sys: thermal %v (known %v), battery %+v, err %v", th, th.Known(), b, err)
}
