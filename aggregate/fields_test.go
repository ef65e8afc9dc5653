package aggregate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// Each row's accessor reaches its own field of Usage, the encoder writes
// every row in table order, and decoding reads each back.
func TestSummaryFieldsDriveTheWire(t *testing.T) {
	base := Usage{ThermalPeak: provider.ThermalNormal, SampleCount: 1, Mode: SummaryEvery(time.Second)}
	baseJSON := string(base.AppendJSON(nil))
	at := 0
	for i, f := range summaryFields {
		k := `"` + f.Key + `":`
		j := strings.Index(baseJSON[at:], k)
		if j < 0 {
			t.Fatalf("%s missing or out of order in %s", k, baseJSON)
		}
		at += j
		if f.Name == "" {
			continue
		}
		u, a := base, summaryAccess[i]
		switch f.Type {
		case provider.Percent:
			*a.Float(&u) = provider.Some(42.5)
		case provider.Uint:
			*a.Uint(&u) = provider.Some[uint64](4242)
		case provider.Pct8:
			*a.Pct8(&u) = provider.Some[uint8](42)
		case provider.Pressure:
			*a.Pressure(&u) = provider.MemoryPressureCritical
		case provider.Thermal:
			*a.Thermal(&u) = provider.ThermalHot
		case provider.Count:
			*a.Count(&u) = 4242
		default:
			t.Fatalf("%s: type %d", f.Key, f.Type)
		}
		js := string(u.AppendJSON(nil))
		if u == base || js == baseJSON {
			t.Errorf("%s: not reached or not written: %s", f.Key, js)
		}
		var back Usage
		if err := json.Unmarshal([]byte(js), &back); err != nil || back != u {
			t.Errorf("%s: round trip %+v, %v; want %+v", f.Key, back, err, u)
		}
	}
}

// A field that is never null is rejected as null, except samples_skipped,
// which a summary written before it existed leaves out.
func TestSummaryNeverNull(t *testing.T) {
	base := string(Usage{SampleCount: 2, Mode: ModeBoundary}.AppendJSON(nil))
	for _, key := range []string{"sample_count", "memory_pressure_peak", "thermal_state_peak", "sampling_mode"} {
		in := regexpReplaceValue(base, key, "null")
		var u Usage
		if err := json.Unmarshal([]byte(in), &u); !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s null: error %v, want ErrInvalid naming it", key, err)
		}
	}
	var u Usage
	if err := json.Unmarshal([]byte(regexpReplaceValue(base, "samples_skipped", "null")), &u); err != nil || u.SamplesSkipped != 0 {
		t.Errorf("samples_skipped null: %v, %d", err, u.SamplesSkipped)
	}
}

// regexpReplaceValue replaces the value of key in js, a flat JSON object,
// with v.
func regexpReplaceValue(js, key, v string) string {
	k := `"` + key + `":`
	i := strings.Index(js, k) + len(k)
	j := i + strings.IndexAny(js[i:], ",}")
	return js[:i] + v + js[j:]
}

// Every summary row that folds a snapshot field names one that exists.
func TestSummaryFieldsFoldSnapshotFields(t *testing.T) {
	for _, f := range SummaryFields() {
		if f.Fold == Run {
			continue
		}
		if _, ok := provider.SnapshotField(f.Of); !ok {
			t.Errorf("%s folds %q, no snapshot field", f.Key, f.Of)
		}
	}
}
