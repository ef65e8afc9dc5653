package fake

import (
	"context"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/restel/restel/provider"
)

func TestParseCapacityKeys(t *testing.T) {
	tr := mustParse(t, `@0s avail=3000 total=8000 cpus=2.5 temp.z0=71.5 severe.z0=85 throttling=false
@1s severe.z1=95 temp.z1=-3.25 temp.z0=72
@2s temp.z0=- throttling=true cpus=-
@3s throttling=- temp.hwmon1/temp2=40 severe.hwmon1/temp2=100
`)
	some := provider.Some[float64]
	for _, tc := range []struct {
		at   time.Duration
		want *Capacity
	}{
		{0, &Capacity{Sensors: []Sensor{{"z0", some(71.5), some(85)}}, Throttling: provider.Some(false), CPUs: some(2.5)}},
		{time.Second, &Capacity{Sensors: []Sensor{{"z0", some(72), some(85)}, {"z1", some(-3.25), some(95)}}, Throttling: provider.Some(false), CPUs: some(2.5)}},
		{2 * time.Second, &Capacity{Sensors: []Sensor{{"z0", provider.Opt[float64]{}, some(85)}, {"z1", some(-3.25), some(95)}}, Throttling: provider.Some(true)}},
		{3 * time.Second, &Capacity{Sensors: []Sensor{{"z0", provider.Opt[float64]{}, some(85)}, {"z1", some(-3.25), some(95)}, {"hwmon1/temp2", some(40), some(100)}}}},
	} {
		if diff := cmp.Diff(tc.want, tr.At(tc.at).Capacity); diff != "" {
			t.Errorf("At(%v).Capacity (-want +got):\n%s", tc.at, diff)
		}
	}
	// Each line's state keeps its own capacity: a later line never
	// changes an earlier one's.
	if got := tr.At(0).Capacity.Sensors[0].Celsius; got != some(71.5) {
		t.Errorf("the first line's z0 became %v", got)
	}
	if !tr.HasCapacity() || mustParse(t, "@0s cpu=1\n").HasCapacity() || (*Trace)(nil).HasCapacity() {
		t.Error("HasCapacity is wrong")
	}
	want := "@0s avail=3000 total=8000 cpus=2.5 throttling=false temp.z0=71.5 severe.z0=85\n" +
		"@1s temp.z0=72 temp.z1=-3.25 severe.z1=95\n" +
		"@2s cpus=- throttling=true temp.z0=-\n" +
		"@3s throttling=- temp.hwmon1/temp2=40 severe.hwmon1/temp2=100\n"
	if diff := cmp.Diff(want, tr.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
	checkRoundTrip(t, tr)
}

// malformedCapacity are capacity-key traces that must not parse.
var malformedCapacity = []struct {
	name string
	src  string
	line int
	msg  string
}{
	{"temp without severe", "@0s cpu=1\n@1s temp.z0=50\n", 2, "temp.z0 has no severe threshold: set severe.z0"},
	{"severe dropped", "@0s temp.z0=50 severe.z0=85\n@1s severe.z0=-\n", 2, "temp.z0 has no severe threshold"},
	{"temp NaN", "@0s temp.z0=NaN severe.z0=85\n", 1, `bad temp.z0 "NaN"`},
	{"temp Inf", "@0s temp.z0=Inf severe.z0=85\n", 1, "bad temp.z0"},
	{"temp exponent", "@0s temp.z0=5e1 severe.z0=85\n", 1, "bad temp.z0"},
	{"temp plus sign", "@0s temp.z0=+50 severe.z0=85\n", 1, "bad temp.z0"},
	{"temp double minus", "@0s temp.z0=--5 severe.z0=85\n", 1, "bad temp.z0"},
	{"temp unit", "@0s temp.z0=50C severe.z0=85\n", 1, "bad temp.z0"},
	{"temp empty", "@0s temp.z0= severe.z0=85\n", 1, "bad temp.z0"},
	{"temp at -40", "@0s temp.z0=-40 severe.z0=85\n", 1, "temp.z0 -40 outside (-40, 150]"},
	{"temp above 150", "@0s temp.z0=150.5 severe.z0=85\n", 1, "outside (-40, 150]"},
	{"temp above 150 below float precision", "@0s temp.z0=150.0000000000000000000001 severe.z0=85\n", 1, "outside (-40, 150]"},
	{"temp rounding to -40", "@0s temp.z0=-39.99999999999999999999 severe.z0=85\n", 1, "outside (-40, 150] °C as a float64"},
	{"temp of 400 digits", "@0s temp.z0=" + strings.Repeat("9", 400) + " severe.z0=85\n", 1, "outside (-40, 150]"},
	{"severe above 150", "@0s temp.z0=50 severe.z0=151\n", 1, "severe.z0 151 outside"},
	{"no sensor name", "@0s temp.=50\n", 1, `bad sensor name in "temp."`},
	{"bad sensor name", "@0s severe.z.0=50\n", 1, `bad sensor name in "severe.z.0"`},
	{"value with =", "@0s temp.z=0=50\n", 1, `bad temp.z "0=50"`},
	{"long sensor name", "@0s temp." + strings.Repeat("z", MaxSensorName+1) + "=50\n", 1, "bad sensor name"},
	{"duplicate temp", "@0s temp.z0=50 severe.z0=85 temp.z0=51\n", 1, `duplicate key "temp.z0"`},
	{"duplicate throttling", "@0s throttling=true throttling=false\n", 1, `duplicate key "throttling"`},
	{"too many sensors", "@0s" + manySensors(MaxSensors+1) + "\n", 1, "more than 16 sensors"},
	{"bad throttling", "@0s throttling=yes\n", 1, `bad throttling "yes": want true, false or -`},
	{"throttling case", "@0s throttling=True\n", 1, "bad throttling"},
	{"cpus zero", "@0s cpus=0\n", 1, "cpus 0 outside (0, 65536]"},
	{"cpus negative", "@0s cpus=-2\n", 1, "bad cpus"},
	{"cpus huge", "@0s cpus=65537\n", 1, "outside (0, 65536]"},
	{"cpus below float precision", "@0s cpus=0." + strings.Repeat("0", 400) + "1\n", 1, "cpus 0.0"},
	{"cpus NaN", "@0s cpus=NaN\n", 1, "bad cpus"},
	{"capacity key case matters", "@0s Temp.z0=50\n", 1, `unknown key "Temp.z0"`},
}

func manySensors(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" severe.s" + strconv.Itoa(i) + "=90")
	}
	return b.String()
}

func TestParseCapacityMalformed(t *testing.T) {
	for _, tc := range malformedCapacity {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Parse("bad.trace", strings.NewReader(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; trace:\n%s", tr)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tc.line || se.Name != "bad.trace" {
				t.Fatalf("error %v, want a *SyntaxError at bad.trace:%d", err, tc.line)
			}
			prefix := "bad.trace:" + strconv.Itoa(tc.line) + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting %q containing %q", msg, prefix, tc.msg)
			}
		})
	}
	// Exactly MaxSensors is fine.
	mustParse(t, "@0s"+manySensors(MaxSensors)+"\n")
}

func TestUnknownKeyListsCapacityKeys(t *testing.T) {
	_, err := Parse("t.trace", strings.NewReader("@0s tmp.z0=1\n"))
	if err == nil || !strings.Contains(err.Error(), "cpus, throttling, temp.NAME, severe.NAME, delay or error") {
		t.Errorf("error %v: want the capacity keys listed", err)
	}
}

func TestReadCapacity(t *testing.T) {
	tr := mustParse(t, `@0s avail=3000 total=8000 cpus=2.5 temp.z0=71.5 severe.z0=85 temp.z1=40 severe.z1=90 throttling=true
@1s temp.z0=- throttling=false avail=-
@2s error=zone read failed
@3s throttling=- delay=1s
`)
	r := NewReplay(tr)
	var c provider.Capacity
	for _, tc := range []struct {
		at      time.Duration
		want    provider.Capacity
		wantErr bool
	}{
		{0, provider.Capacity{
			CPULimits: []provider.CPULimit{{By: ByTrace, CPUs: 2.5}},
			MemLimits: []provider.MemLimit{{By: "host", AvailMB: 3000}},
			Sensors:   []provider.ThermalReading{{Sensor: "z0", Celsius: 71.5, SevereC: 85}, {Sensor: "z1", Celsius: 40, SevereC: 90}},
			// throttling=true whatever the temperatures say
			Throttling: provider.Some(true), ThrottlingBy: ByTrace,
		}, false},
		{time.Second, provider.Capacity{
			CPULimits:  []provider.CPULimit{{By: ByTrace, CPUs: 2.5}},
			Sensors:    []provider.ThermalReading{{Sensor: "z1", Celsius: 40, SevereC: 90}}, // z0 is gone
			Throttling: provider.Some(false),
		}, false},
		{2 * time.Second, provider.Capacity{}, true},
		{3 * time.Second, provider.Capacity{
			CPULimits: []provider.CPULimit{{By: ByTrace, CPUs: 2.5}},
			Sensors:   []provider.ThermalReading{{Sensor: "z1", Celsius: 40, SevereC: 90}},
		}, false},
	} {
		r.Seek(tc.at)
		err := r.ReadCapacity(context.Background(), &c)
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrInjected)) {
			t.Errorf("at %v: error %v, want error %v", tc.at, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, c, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("at %v (-want +got):\n%s", tc.at, diff)
		}
	}
	if got := r.CapacityReads(); got != 4 {
		t.Errorf("CapacityReads = %d, want 4", got)
	}
	if r.SlowReads() != 0 || r.Reads() != 0 {
		t.Errorf("capacity reads counted as other reads: %d slow, %d snapshot", r.SlowReads(), r.Reads())
	}
}

func TestCapable(t *testing.T) {
	plain := New(mustParse(t, "@0s cpu=1 thermal=hot\n"))
	if _, ok := plain.Capable().(provider.CapacityReader); ok {
		t.Error("a trace without capacity keys reads capacity")
	}
	if plain.Capable() != provider.SnapshotProvider(plain) {
		t.Error("Capable of a trace without capacity keys is not the provider itself")
	}
	p := New(mustParse(t, "@0s cpu=1\n@1s throttling=true\n"))
	cp := p.Capable()
	cr, ok := cp.(provider.CapacityReader)
	if !ok {
		t.Fatal("a trace with throttling= does not read capacity")
	}
	if _, ok := cp.(provider.ThermalReader); !ok {
		t.Error("Capable lost the thermal reader")
	}
	var c provider.Capacity
	if err := cr.Capacity(context.Background(), &c); err != nil || p.CapacityReads() != 1 {
		t.Errorf("Capacity: %v, %d reads", err, p.CapacityReads())
	}
}

// FuzzCapacityRange: the digit-wise range checks of temp.NAME=, severe.NAME=
// and cpus= agree with exact rational arithmetic on every plain decimal.
func FuzzCapacityRange(f *testing.F) {
	for _, s := range []string{"0", "-0", "150", "150.0", "150.0000000000000000001", "-40", "-39.9999", "-40.0000001",
		"0040", "-0039.5", "65536", "65536.00", "65536.1", "0.000", "0.0001", "1000", "-", "--1", "1.", ".5"} {
		f.Add(s)
	}
	lo, hi, maxC := big.NewRat(-40, 1), big.NewRat(150, 1), big.NewRat(MaxCPUs, 1)
	f.Fuzz(func(t *testing.T, s string) {
		digits := strings.TrimPrefix(s, "-")
		if !isDecimal(digits) || len(s) > 200 {
			if _, ok := splitDecimal(s, true); ok && len(s) <= 200 {
				t.Fatalf("splitDecimal accepted %q", s)
			}
			return
		}
		v, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat rejects %q", s)
		}
		d, ok := splitDecimal(s, true)
		if !ok {
			t.Fatalf("splitDecimal rejects %q", s)
		}
		if got, want := !(d.neg && d.cmpInt(40) >= 0 || !d.neg && !d.atMost(150)), v.Cmp(lo) > 0 && v.Cmp(hi) <= 0; got != want {
			t.Fatalf("%q in (-40, 150]: %v, exact arithmetic says %v", s, got, want)
		}
		if s[0] == '-' {
			return
		}
		d, _ = splitDecimal(s, false)
		if got, want := !d.isZero() && d.atMost(MaxCPUs), v.Sign() > 0 && v.Cmp(maxC) <= 0; got != want {
			t.Fatalf("%q in (0, %d]: %v, exact arithmetic says %v", s, MaxCPUs, got, want)
		}
	})
}
