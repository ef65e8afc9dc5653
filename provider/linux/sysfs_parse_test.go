package linux

import (
	"math"
	"strconv"
	"testing"

	"github.com/restel/restel/provider"
)

func TestParseAttrInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"45000\n", 45000, true},
		{"0\n", 0, true},
		{"-273150\n", -273150, true},
		{"+12\n", 12, true},
		{"  7 \n", 7, true},
		{"42\x00\x00", 42, true}, // NUL padding left by a driver
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false}, // overflow by one
		{"-9223372036854775809", 0, false},
		{"99999999999999999999999\n", 0, false},
		{"", 0, false},
		{"\n", 0, false},
		{"-", 0, false},
		{"+", 0, false},
		{"--1", 0, false},
		{"45.5", 0, false},
		{"4x5000", 0, false},
		{"0x10", 0, false},
		{"garbage\n", 0, false},
		{"1 2", 0, false},
		{"\x00", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseAttrInt([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseAttrInt(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseAttrIntAllocs(t *testing.T) {
	b := []byte("45000\n")
	if n := testing.AllocsPerRun(100, func() { parseAttrInt(b) }); n != 0 {
		t.Errorf("parseAttrInt allocates %v times per call, want 0", n)
	}
}

func TestSaneRanges(t *testing.T) {
	readings := []struct {
		milli int64
		want  bool
	}{
		{-40_000, false}, // −40 °C excluded
		{-39_999, true},
		{0, true},
		{150_000, true}, // 150 °C included
		{150_001, false},
		{math.MinInt64, false},
		{math.MaxInt64, false},
	}
	for _, tt := range readings {
		if got := saneReading(tt.milli); got != tt.want {
			t.Errorf("saneReading(%d) = %v, want %v", tt.milli, got, tt.want)
		}
	}
	limits := []struct {
		milli int64
		want  bool
	}{
		{0, false}, // at 0 °C: ignored
		{1, true},
		{-273_000, false},
		{150_000, true},
		{150_001, false}, // above 150 °C: ignored
		{999_999_000, false},
	}
	for _, tt := range limits {
		if got := saneLimit(tt.milli); got != tt.want {
			t.Errorf("saneLimit(%d) = %v, want %v", tt.milli, got, tt.want)
		}
	}
}

func TestParseTripKind(t *testing.T) {
	tests := map[string]tripKind{
		"critical\n": tripCritical,
		"hot\n":      tripHot,
		"passive\n":  tripPassive,
		"active\n":   tripOther,
		"Critical\n": tripOther, // the kernel writes lower case; nothing is guessed
		"":           tripOther,
		"crit":       tripOther,
	}
	for in, want := range tests {
		if got := parseTripKind([]byte(in)); got != want {
			t.Errorf("parseTripKind(%q) = %d, want %d", in, got, want)
		}
	}
}

// trips builds a zoneTrips from (kind, millidegrees) pairs through add, so
// the tests also cover "lowest trip wins" and the trip sanity range.
func trips(pairs ...any) zoneTrips {
	var z zoneTrips
	for i := 0; i < len(pairs); i += 2 {
		z.add(pairs[i].(tripKind), int64(pairs[i+1].(int)))
	}
	return z
}

func TestClassifyZone(t *testing.T) {
	const (
		N = provider.ThermalNormal
		W = provider.ThermalWarm
		H = provider.ThermalHot
		C = provider.ThermalCritical
	)
	full := trips(tripPassive, 90_000, tripCritical, 105_000, tripHot, 102_000)
	tests := []struct {
		name  string
		milli int64
		trips zoneTrips
		want  provider.ThermalState
	}{
		{"below warm", 79_999, full, N},
		{"passive-10 exactly is warm", 80_000, full, W},
		{"just below passive", 89_999, full, W},
		{"passive exactly is hot", 90_000, full, H},
		{"just below critical-5", 99_999, full, H},
		{"critical-5 exactly is critical", 100_000, full, C},
		{"hot trip exactly is critical", 102_000, trips(tripPassive, 90_000, tripHot, 102_000), C},
		{"just below hot trip", 101_999, trips(tripPassive, 90_000, tripHot, 102_000), H},

		{"lowest passive wins", 71_000, trips(tripPassive, 95_000, tripPassive, 80_000), W},
		{"lowest critical wins", 95_000, trips(tripCritical, 120_000, tripCritical, 100_000), C},
		{"lowest hot wins", 85_000, trips(tripHot, 110_000, tripHot, 85_000, tripPassive, 95_000), C},

		// Critical trip, no passive: critical from critical−5, else normal
		// (the bands do not apply: the zone has a usable critical trip).
		{"critical only, far below", 75_000, trips(tripCritical, 119_000), N},
		{"critical only, hot by bands is still normal", 99_000, trips(tripCritical, 105_000), N},
		{"critical only, at critical-5", 100_000, trips(tripCritical, 105_000), C},

		// Passive only: critical never from trips.
		{"passive only above", 120_000, trips(tripPassive, 90_000), H},

		// Neither passive nor critical: the bands, with a hot trip still
		// making it critical.
		{"no trips, band normal", 59_999, zoneTrips{}, N},
		{"no trips, band warm edge", 60_000, zoneTrips{}, W},
		{"no trips, band hot edge", 70_000, zoneTrips{}, H},
		{"no trips, band critical edge", 80_000, zoneTrips{}, C},
		{"no trips, just below 70", 69_999, zoneTrips{}, W},
		{"no trips, just below 80", 79_999, zoneTrips{}, H},
		{"hot trip only, below it: bands", 65_000, trips(tripHot, 75_000), W},
		{"hot trip only, at it", 75_000, trips(tripHot, 75_000), C},
		{"active trips only: bands", 65_000, trips(tripOther, 50_000), W},

		// Absurd trips are ignored, leaving the bands.
		{"absurd trips", 45_000, trips(tripCritical, -273_000, tripPassive, 999_999_000, tripHot, 0, tripPassive, 150_001), N},
		{"absurd trips, bands warm", 61_000, trips(tripPassive, 0, tripPassive, 0), W},
		{"trip at 150 is usable", 140_000, trips(tripPassive, 150_000), W},
		{"trip at 0.001 is usable", 1, trips(tripPassive, 1), H},
		{"cold reading below passive-10", -39_000, trips(tripPassive, 1), N},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyZone(tt.milli, tt.trips); got != tt.want {
				t.Errorf("classifyZone(%d, %+v) = %v, want %v", tt.milli, tt.trips, got, tt.want)
			}
		})
	}
}

func TestClassifyHwmon(t *testing.T) {
	const (
		N = provider.ThermalNormal
		W = provider.ThermalWarm
		H = provider.ThermalHot
		C = provider.ThermalCritical
	)
	lim := func(milli int64) limit { var l limit; l.lower(milli); return l }
	none := limit{}
	tests := []struct {
		name      string
		milli     int64
		crit, max limit
		want      provider.ThermalState
	}{
		{"below max-10", 73_999, lim(100_000), lim(84_000), N},
		{"max-10 exactly is warm", 74_000, lim(100_000), lim(84_000), W},
		{"max exactly is hot", 84_000, lim(100_000), lim(84_000), H},
		{"just below crit", 99_999, lim(100_000), lim(84_000), H},
		{"crit exactly is critical", 100_000, lim(100_000), lim(84_000), C},
		{"crit only below", 99_999, lim(100_000), none, N},
		{"crit only at", 100_000, lim(100_000), none, C},
		{"max only above", 120_000, none, lim(84_000), H},
		{"no limits: bands", 61_000, none, none, W},
		{"no limits: band edge 80", 80_000, none, none, C},
		{"max 0 ignored: bands", 31_000, none, lim(0), N},
		{"crit 255 ignored: bands", 71_000, lim(255_000), none, H},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyHwmon(tt.milli, tt.crit, tt.max); got != tt.want {
				t.Errorf("classifyHwmon(%d, %+v, %+v) = %v, want %v", tt.milli, tt.crit, tt.max, got, tt.want)
			}
		})
	}
}

func TestIsThrottlingCooler(t *testing.T) {
	tests := map[string]bool{
		"Processor\n":           true,
		"thermal-cpufreq-0\n":   true,
		"thermal-cpufreq-11\n":  true,
		"intel_powerclamp\n":    true,
		"Fan\n":                 false,
		"TCC Offset\n":          false,
		"thermal-devfreq-0\n":   false,
		"processor\n":           false,
		"thermal-cpufreq\n":     false,
		"":                      false,
		"intel_powerclamp_x\n":  false,
		"  Processor  \n\x00\n": true,
	}
	for in, want := range tests {
		if got := isThrottlingCooler([]byte(in)); got != want {
			t.Errorf("isThrottlingCooler(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseCapacity(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"87\n", 87, true},
		{"0\n", 0, true},
		{"100\n", 100, true},
		{"101\n", 100, true}, // above 100 % is 100
		{"9223372036854775807\n", 100, true},
		{"-1\n", 0, false}, // negative is no value
		{"", 0, false},
		{"\n", 0, false},
		{"garbage\n", 0, false},
		{"99999999999999999999\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseCapacity([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCapacity(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRatioPct(t *testing.T) {
	tests := []struct {
		now, full int64
		want      float64
		ok        bool
	}{
		{50, 100, 50, true},
		{0, 100, 0, true},
		{150, 100, 100, true}, // overcharged gauge: capped
		{-1, 100, 0, false},
		{50, 0, 0, false},
		{50, -100, 0, false},
		{math.MaxInt64, math.MaxInt64, 100, true},
	}
	for _, tt := range tests {
		got, ok := ratioPct(tt.now, tt.full)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ratioPct(%d, %d) = %v, %v; want %v, %v", tt.now, tt.full, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCombineBatteries(t *testing.T) {
	pct := func(p float64) batteryReading { return batteryReading{pct: p, hasPct: true} }
	energy := func(p, full float64) batteryReading { return batteryReading{pct: p, hasPct: true, energyFull: full} }
	charge := func(p, full float64) batteryReading { return batteryReading{pct: p, hasPct: true, chargeFull: full} }
	noValue := batteryReading{energyFull: 1e6, chargeFull: 1e6}
	tests := []struct {
		name string
		in   []batteryReading
		want provider.Opt[uint8]
	}{
		{"none", nil, provider.Opt[uint8]{}},
		{"no value", []batteryReading{noValue}, provider.Opt[uint8]{}},
		{"one", []batteryReading{pct(87)}, provider.Some[uint8](87)},
		{"one fractional rounds down", []batteryReading{pct(86.49)}, provider.Some[uint8](86)},
		{"one fractional half rounds up", []batteryReading{pct(86.5)}, provider.Some[uint8](87)},
		{"zero", []batteryReading{pct(0)}, provider.Some[uint8](0)},
		{"mean", []batteryReading{pct(89), pct(50)}, provider.Some[uint8](70)},                      // 69.5 → 70
		{"mean rounds down", []batteryReading{pct(89), pct(50), pct(50)}, provider.Some[uint8](63)}, // 63
		// ThinkPad: 23.48 Wh at 89 %, 71 Wh at 50 % → 59.69 → 60 (mean would be 70).
		{"energy weighted", []batteryReading{energy(89, 23_480_000), energy(50, 71_000_000)}, provider.Some[uint8](60)},
		{"energy weighted exact half", []batteryReading{energy(50, 1_000_000), energy(51, 1_000_000)}, provider.Some[uint8](51)},
		{"energy weighted 3:1", []batteryReading{energy(100, 3_000_000), energy(0, 1_000_000)}, provider.Some[uint8](75)},
		{"charge weighted", []batteryReading{charge(100, 3_000_000), charge(0, 1_000_000)}, provider.Some[uint8](75)},
		{"energy preferred over charge", []batteryReading{
			{pct: 100, hasPct: true, energyFull: 1, chargeFull: 3},
			{pct: 0, hasPct: true, energyFull: 3, chargeFull: 1},
		}, provider.Some[uint8](25)},
		{"mixed units: mean", []batteryReading{energy(100, 3_000_000), charge(0, 1_000_000)}, provider.Some[uint8](50)},
		{"one without full: mean", []batteryReading{energy(100, 3_000_000), pct(0)}, provider.Some[uint8](50)},
		{"battery without value takes no part", []batteryReading{energy(80, 1_000_000), noValue}, provider.Some[uint8](80)},
		{"absurd weights do not overflow", []batteryReading{energy(100, math.MaxFloat64), energy(0, math.MaxFloat64)}, provider.Some[uint8](50)},
		{"absurd weight dominates", []batteryReading{energy(100, 9.2e18), energy(0, 1)}, provider.Some[uint8](100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := combineBatteries(tt.in); got != tt.want {
				t.Errorf("combineBatteries(%+v) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseAttrInt(f *testing.F) {
	for _, s := range []string{"45000\n", "-273150\n", "", "garbage", "9223372036854775808", "-9223372036854775808", "+0", " 1\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := parseAttrInt(b)
		if !ok {
			return
		}
		// A parsed value round-trips through strconv.
		want, err := strconv.ParseInt(string(trimAttr(b)), 10, 64)
		if err != nil || want != v {
			t.Fatalf("parseAttrInt(%q) = %d, strconv says %d, %v", b, v, want, err)
		}
	})
}

// FuzzTripPoint feeds arbitrary trip_point_N_type / trip_point_N_temp and
// temp contents through the zone rules: never a panic, always a known state.
func FuzzTripPoint(f *testing.F) {
	f.Add([]byte("passive\n"), []byte("95000\n"), []byte("critical\n"), []byte("105000\n"), []byte("91000\n"))
	f.Add([]byte("critical\n"), []byte("-273000\n"), []byte("hot\n"), []byte("999999000\n"), []byte("45000\n"))
	f.Add([]byte(""), []byte(""), []byte("active"), []byte("x"), []byte("-"))
	f.Fuzz(func(t *testing.T, type0, temp0, type1, temp1, temp []byte) {
		var z zoneTrips
		for _, p := range [][2][]byte{{type0, temp0}, {type1, temp1}} {
			if v, ok := parseAttrInt(p[1]); ok {
				z.add(parseTripKind(p[0]), v)
			}
		}
		for _, l := range []limit{z.critical, z.hot, z.passive} {
			if l.ok && !saneLimit(l.milli) {
				t.Fatalf("insane trip %d kept", l.milli)
			}
		}
		milli, ok := parseAttrInt(temp)
		if !ok || !saneReading(milli) {
			return
		}
		if st := classifyZone(milli, z); !st.Known() {
			t.Fatalf("classifyZone(%d, %+v) = %v, not a known state", milli, z, st)
		}
		if st := classifyHwmon(milli, z.critical, z.passive); !st.Known() {
			t.Fatalf("classifyHwmon(%d) = %v, not a known state", milli, st)
		}
	})
}

// FuzzPowerSupplyAttrs feeds arbitrary power_supply attribute contents
// (capacity, energy_now/full, charge_now/full) of two batteries through the
// battery rules: never a panic, and a valid result is within [0, 100].
func FuzzPowerSupplyAttrs(f *testing.F) {
	f.Add([]byte("89\n"), []byte("21000000\n"), []byte("23480000\n"), []byte("50\n"), []byte("71000000\n"))
	f.Add([]byte("-5\n"), []byte("-1\n"), []byte("0\n"), []byte("garbage"), []byte("99999999999999999999"))
	f.Add([]byte(""), []byte(""), []byte(""), []byte("101"), []byte("9223372036854775807"))
	f.Fuzz(func(t *testing.T, cap0, now0, full0, cap1, full1 []byte) {
		var rs [2]batteryReading
		rs[0].pct, rs[0].hasPct = parseCapacity(cap0)
		if !rs[0].hasPct {
			now, _ := parseAttrInt(now0)
			full, _ := parseAttrInt(full0)
			rs[0].pct, rs[0].hasPct = ratioPct(now, full)
		}
		if v, ok := parseAttrInt(full0); ok && v > 0 {
			rs[0].energyFull = float64(v)
		}
		rs[1].pct, rs[1].hasPct = parseCapacity(cap1)
		if v, ok := parseAttrInt(full1); ok && v > 0 {
			rs[1].energyFull = float64(v)
		}
		for _, r := range rs {
			if r.hasPct && (r.pct < 0 || r.pct > 100 || math.IsNaN(r.pct)) {
				t.Fatalf("percentage %v out of range", r.pct)
			}
		}
		got := combineBatteries(rs[:])
		if got.Valid != (rs[0].hasPct || rs[1].hasPct) {
			t.Fatalf("combineBatteries(%+v) = %+v: validity wrong", rs, got)
		}
		if got.Valid && got.V > 100 {
			t.Fatalf("combineBatteries(%+v) = %d > 100", rs, got.V)
		}
	})
}
