package export_test

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/provider"
)

// promName is the OpenTelemetry-to-Prometheus name translation, written
// out from its rules independently of the table: characters outside
// [a-zA-Z0-9_:] become '_', the unit's annotations ({...}) are dropped,
// By and s become the _bytes and _seconds suffixes, unit 1 becomes
// _ratio for what Prometheus types as a gauge, and a monotonic counter
// ends in _total.
func promName(name, unit string, k export.Kind) string {
	out := regexp.MustCompile(`[^a-zA-Z0-9_:]`).ReplaceAllString(name, "_")
	unit = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(unit, "")
	suffix := map[string]string{"By": "bytes", "s": "seconds"}[unit]
	if unit == "1" && k != export.Counter {
		suffix = "ratio"
	}
	if suffix != "" && !strings.HasSuffix(out, "_"+suffix) {
		out += "_" + suffix
	}
	if k == export.Counter {
		out += "_total"
	}
	return out
}

// TestTable pins every exported metric's names, unit, kind and whether it
// needs a full snapshot, on Linux and elsewhere.
func TestTable(t *testing.T) {
	type row struct {
		name, unit string
		kind       export.Kind
		prom       string
		full       bool
	}
	common := func(available row) []row {
		return []row{
			{"process.memory.usage", "By", export.UpDownCounter, "process_memory_usage_bytes", false},
			{"system.memory.limit", "By", export.UpDownCounter, "system_memory_limit_bytes", false},
			available,
			{"hw.battery.charge", "1", export.Gauge, "hw_battery_charge_ratio", false},
			{"restel.cpu.time", "s", export.Counter, "restel_cpu_time_seconds_total", false},
			{"restel.cpu.time", "s", export.Counter, "restel_cpu_time_seconds_total", false},
			{"restel.memory.pressure", "{level}", export.Gauge, "restel_memory_pressure", false},
			{"restel.thermal.state", "{level}", export.Gauge, "restel_thermal_state", false},
			{"restel.cpu.stall.time", "s", export.Counter, "restel_cpu_stall_time_seconds_total", true},
			{"restel.memory.stall.time", "s", export.Counter, "restel_memory_stall_time_seconds_total", true},
			{"restel.io.stall.time", "s", export.Counter, "restel_io_stall_time_seconds_total", true},
			{"restel.cpu.throttled.time", "s", export.Counter, "restel_cpu_throttled_time_seconds_total", true},
		}
	}
	linux := row{"system.memory.linux.available", "By", export.UpDownCounter, "system_memory_linux_available_bytes", false}
	other := row{"restel.memory.available", "By", export.UpDownCounter, "restel_memory_available_bytes", false}
	for _, tc := range []struct {
		goos string
		want []row
	}{
		{"linux", common(linux)},
		{"android", common(linux)},
		{"darwin", common(other)},
		{"ios", common(other)},
		{"windows", common(other)},
	} {
		t.Run(tc.goos, func(t *testing.T) {
			got := export.TableFor(tc.goos)
			if len(got) != len(tc.want) {
				t.Fatalf("%d metrics, want %d", len(got), len(tc.want))
			}
			seen := map[string]bool{}
			for i, m := range got {
				w := tc.want[i]
				if m.Name != w.name || m.Unit != w.unit || m.Kind != w.kind || m.PromName != w.prom || m.Full != w.full {
					t.Errorf("metric %d = {%s %s %v %s full=%v}, want %+v", i, m.Name, m.Unit, m.Kind, m.PromName, m.Full, w)
				}
				if p := promName(m.Name, m.Unit, m.Kind); p != m.PromName {
					t.Errorf("%s: PromName %q, the translation gives %q", m.Name, m.PromName, p)
				}
				if m.Description == "" || !strings.HasSuffix(m.Description, ".") {
					t.Errorf("%s: description %q, want a sentence", m.Name, m.Description)
				}
				// Entries sharing a name are points of one metric: the
				// same metric in every field but their attributes.
				id := "entry:" + key(m)
				if seen[id] {
					t.Errorf("%s: duplicate entry", id)
				}
				seen[id] = true
				if i > 0 && got[i-1].Name == m.Name {
					p := got[i-1]
					if p.Unit != m.Unit || p.Kind != m.Kind || p.PromName != m.PromName || p.Description != m.Description || p.Full != m.Full || len(p.Attrs) != len(m.Attrs) {
						t.Errorf("%s: entries of one metric differ beyond their attributes", m.Name)
					}
				} else if seen[m.Name] || seen["prom:"+m.PromName] {
					t.Errorf("%s: name used by two metrics", m.Name)
				}
				seen[m.Name], seen["prom:"+m.PromName] = true, true
			}
		})
	}
}

// TestTableCurrentSystem checks Table is TableFor this system.
func TestTableCurrentSystem(t *testing.T) {
	got, want := export.Table(), export.TableFor(goos)
	if len(got) != len(want) {
		t.Fatalf("Table has %d metrics, TableFor(%s) %d", len(got), goos, len(want))
	}
	for i := range got {
		if got[i].Name != want[i].Name {
			t.Errorf("Table()[%d] = %s, want %s", i, got[i].Name, want[i].Name)
		}
	}
}

// key names a table entry: its name and its attributes' values, as
// "restel.cpu.time{state=busy}".
func key(m export.Metric) string {
	k := m.Name
	for _, a := range m.Attrs {
		k += "{" + a.Key + "=" + a.Value + "}"
	}
	return k
}

func TestAttributes(t *testing.T) {
	want := map[string][]export.Attr{
		"hw.battery.charge{hw.id=battery}": {{Key: "hw.id", PromKey: "hw_id", Value: "battery"}},
		"restel.cpu.time{state=busy}":      {{Key: "state", PromKey: "state", Value: "busy"}},
		"restel.cpu.time{state=idle}":      {{Key: "state", PromKey: "state", Value: "idle"}},
	}
	n := 0
	for _, m := range export.TableFor("linux") {
		w, ok := want[key(m)]
		if !ok {
			if m.Attrs != nil {
				t.Errorf("%s: attributes %v, want none", m.Name, m.Attrs)
			}
			continue
		}
		n++
		if len(m.Attrs) != len(w) || m.Attrs[0] != w[0] {
			t.Errorf("%s attributes %v, want %v", m.Name, m.Attrs, w)
		}
	}
	if n != len(want) {
		t.Errorf("%d entries with attributes, want %d", n, len(want))
	}
}

// values returns each entry's value in s by [key]; absent ones are
// missing from the map.
func values(s provider.Snapshot) map[string]float64 {
	out := map[string]float64{}
	for _, m := range export.TableFor("linux") {
		if v, ok := m.Value(s); ok {
			out[key(m)] = v
		}
	}
	return out
}

func TestValues(t *testing.T) {
	full := provider.Snapshot{
		CPUPct:         provider.Some(37.5),
		ProcessRSSMB:   provider.Some[uint64](300),
		AvailableMemMB: provider.Some[uint64](2048),
		TotalMemMB:     provider.Some[uint64](16384),
		MemoryPressure: provider.MemoryPressureWarn,
		Thermal:        provider.ThermalHot,
		BatteryPct:     provider.Some[uint8](42),
		CapturedAtMS:   1_700_000_000_000,
		Counters: provider.Counters{
			CPUStall:    provider.Some(1500 * time.Millisecond),
			MemoryStall: provider.Some(250 * time.Microsecond),
			IOStall:     provider.Some(3 * time.Second),
			Throttled:   provider.Some(time.Duration(0)),
			CPUBusy:     provider.Some(90 * time.Second),
			CPUTotal:    provider.Some(400 * time.Second),
		},
	}
	for _, tc := range []struct {
		name string
		s    provider.Snapshot
		want map[string]float64
	}{
		{"all known", full, map[string]float64{
			"process.memory.usage":             300 << 20,
			"system.memory.limit":              16384 << 20,
			"system.memory.linux.available":    2048 << 20,
			"hw.battery.charge{hw.id=battery}": 0.42,
			"restel.cpu.time{state=busy}":      90,
			"restel.cpu.time{state=idle}":      310,
			"restel.memory.pressure":           1,
			"restel.thermal.state":             2,
			"restel.cpu.stall.time":            1.5,
			"restel.memory.stall.time":         0.00025,
			"restel.io.stall.time":             3,
			"restel.cpu.throttled.time":        0,
		}},
		{"all unknown: no point, not zeros", provider.Snapshot{CapturedAtMS: 1}, map[string]float64{}},
		{"known zeros are points", provider.Snapshot{
			CPUPct:         provider.Some(0.0),
			AvailableMemMB: provider.Some[uint64](0),
			BatteryPct:     provider.Some[uint8](0),
			MemoryPressure: provider.MemoryPressureNormal,
			Thermal:        provider.ThermalNormal,
			Counters:       provider.Counters{CPUBusy: provider.Some(time.Duration(0)), CPUTotal: provider.Some(time.Duration(0))},
		}, map[string]float64{
			"restel.cpu.time{state=busy}":      0,
			"restel.cpu.time{state=idle}":      0,
			"system.memory.linux.available":    0,
			"hw.battery.charge{hw.id=battery}": 0,
			"restel.memory.pressure":           0,
			"restel.thermal.state":             0,
		}},
		{"extremes", provider.Snapshot{
			CPUPct:         provider.Some(100.0),
			TotalMemMB:     provider.Some[uint64](math.MaxUint64 >> 20),
			BatteryPct:     provider.Some[uint8](100),
			MemoryPressure: provider.MemoryPressureCritical,
			Thermal:        provider.ThermalCritical,
		}, map[string]float64{
			"system.memory.limit":              float64(math.MaxUint64>>20) * (1 << 20),
			"hw.battery.charge{hw.id=battery}": 1,
			"restel.memory.pressure":           2,
			"restel.thermal.state":             3,
		}},
		{"negative counters: no point", provider.Snapshot{
			Counters: provider.Counters{
				CPUStall: provider.Some(-time.Second),
				IOStall:  provider.Some(time.Duration(math.MinInt64)),
				CPUBusy:  provider.Some(-time.Second),
				CPUTotal: provider.Some(5 * time.Second),
			},
		}, map[string]float64{}},
		{"busy above total: no idle", provider.Snapshot{
			Counters: provider.Counters{CPUBusy: provider.Some(6 * time.Second), CPUTotal: provider.Some(5 * time.Second)},
		}, map[string]float64{"restel.cpu.time{state=busy}": 6}},
		{"busy without total: no idle", provider.Snapshot{
			Counters: provider.Counters{CPUBusy: provider.Some(6 * time.Second)},
		}, map[string]float64{"restel.cpu.time{state=busy}": 6}},
		{"bytes at the source's precision", provider.Snapshot{
			ProcessRSSMB:   provider.Some[uint64](1),
			AvailableMemMB: provider.Some[uint64](2047),
			TotalMemMB:     provider.Some[uint64](16000),
			Bytes: provider.MemoryBytes{
				ProcessRSS: provider.Some[uint64](1<<20 + 4096),
				Available:  provider.Some[uint64](2047<<20 + 1023*1024),
				Total:      provider.Some[uint64](16000<<20 + 12*1024),
			},
		}, map[string]float64{
			"process.memory.usage":          1<<20 + 4096,
			"system.memory.linux.available": 2047<<20 + 1023*1024,
			"system.memory.limit":           16000<<20 + 12*1024,
		}},
		{"bytes that disagree with the MiB field: the MiB field", provider.Snapshot{
			ProcessRSSMB:   provider.Some[uint64](3),
			AvailableMemMB: provider.Some[uint64](10),
			TotalMemMB:     provider.Some[uint64](20),
			Bytes: provider.MemoryBytes{
				ProcessRSS: provider.Some[uint64](5 << 20),
				Available:  provider.Some[uint64](9 << 20),
				Total:      provider.Some[uint64](21 << 20),
			},
		}, map[string]float64{
			"process.memory.usage":          3 << 20,
			"system.memory.linux.available": 10 << 20,
			"system.memory.limit":           20 << 20,
		}},
		{"bytes of an unknown field: no point", provider.Snapshot{
			Bytes: provider.MemoryBytes{
				ProcessRSS: provider.Some[uint64](5 << 20),
				Available:  provider.Some[uint64](9 << 20),
				Total:      provider.Some[uint64](21 << 20),
			},
		}, map[string]float64{}},
		{"available bytes at most total bytes", provider.Snapshot{
			AvailableMemMB: provider.Some[uint64](20),
			TotalMemMB:     provider.Some[uint64](20),
			Bytes: provider.MemoryBytes{
				Available: provider.Some[uint64](20<<20 + 900),
				Total:     provider.Some[uint64](20<<20 + 100),
			},
		}, map[string]float64{
			"system.memory.linux.available": 20<<20 + 100,
			"system.memory.limit":           20<<20 + 100,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := values(tc.s)
			if len(got) != len(tc.want) {
				t.Errorf("%d points %v, want %d %v", len(got), got, len(tc.want), tc.want)
			}
			for name, w := range tc.want {
				if g, ok := got[name]; !ok || g != w {
					t.Errorf("%s = %v (present %v), want %v", name, g, ok, w)
				}
			}
		})
	}
}

func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		p    provider.MemoryPressure
		want float64
		ok   bool
	}{
		{provider.MemoryPressureUnknown, 0, false},
		{provider.MemoryPressureNormal, 0, true},
		{provider.MemoryPressureWarn, 1, true},
		{provider.MemoryPressureCritical, 2, true},
		{provider.MemoryPressure(9), 0, false},
	} {
		if got, ok := export.PressureLevel(tc.p); got != tc.want || ok != tc.ok {
			t.Errorf("PressureLevel(%v) = %v, %v; want %v, %v", tc.p, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		s    provider.ThermalState
		want float64
		ok   bool
	}{
		{provider.ThermalUnknown, 0, false},
		{provider.ThermalNormal, 0, true},
		{provider.ThermalWarm, 1, true},
		{provider.ThermalHot, 2, true},
		{provider.ThermalCritical, 3, true},
		{provider.ThermalState(7), 0, false},
	} {
		if got, ok := export.ThermalLevel(tc.s); got != tc.want || ok != tc.ok {
			t.Errorf("ThermalLevel(%v) = %v, %v; want %v, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}

func TestZeroMetricKnowsNothing(t *testing.T) {
	if v, ok := (export.Metric{}).Value(provider.Snapshot{CPUPct: provider.Some(1.0)}); ok {
		t.Errorf("Metric{}.Value = %v, true; want no value", v)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[export.Kind]string{
		export.Gauge: "gauge", export.UpDownCounter: "updowncounter", export.Counter: "counter", 7: "Kind(7)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

// TestTableFromRows checks that the table is the snapshot rows' metrics:
// every row with a metric is exported under the row's name (on Linux),
// unit, kind, description and attribute, and every other entry is the
// derived idle state of restel.cpu.time.
func TestTableFromRows(t *testing.T) {
	tab := export.TableFor("linux")
	byKey := map[string]export.Metric{}
	for _, m := range tab {
		byKey[key(m)] = m
	}
	rows := 0
	for _, f := range provider.SnapshotFields() {
		pm := f.Metric
		if pm.Name == "" {
			continue
		}
		rows++
		k := pm.Name
		if pm.Attr != "" {
			a, v, _ := strings.Cut(pm.Attr, "=")
			k += "{" + a + "=" + v + "}"
		}
		m, ok := byKey[k]
		if !ok {
			t.Errorf("row %s: no metric %s in the table", f.Key, k)
			continue
		}
		if m.Unit != pm.Unit || m.Kind != pm.Kind || m.Description != pm.Description || m.Full != pm.Full {
			t.Errorf("row %s: metric %+v differs from the row's %+v", f.Key, m, pm)
		}
		if m.PromName != export.PromName(pm.Name, pm.Unit, pm.Kind) {
			t.Errorf("row %s: Prometheus name %s", f.Key, m.PromName)
		}
	}
	if len(tab) != rows+1 {
		t.Errorf("%d metrics from %d exported rows, want the rows and the derived idle state", len(tab), rows)
	}
	if _, ok := byKey["restel.cpu.time{state=idle}"]; !ok {
		t.Error("no derived idle state")
	}
}
