package provider

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Each row's accessor reaches its own field, the encoder writes the wire
// rows in table order under their keys, and decoding reads each back:
// set one field through its row, and only its key changes.
func TestSnapshotFieldsDriveTheWire(t *testing.T) {
	base := Snapshot{CapturedAtMS: 1, Thermal: ThermalNormal} // unknown is "normal" on the wire
	baseJSON := string(base.AppendJSON(nil))
	var keys []string
	for i, f := range snapshotFields {
		t.Run(f.Key, func(t *testing.T) {
			s := base
			a := snapshotAccess[i]
			switch f.Type {
			case Percent:
				*a.Float(&s) = Some(42.5)
			case Uint:
				*a.Uint(&s) = Some[uint64](4242)
			case Pct8:
				*a.Pct8(&s) = Some[uint8](42)
			case Pressure:
				*a.Pressure(&s) = MemoryPressureCritical
			case Thermal:
				*a.Thermal(&s) = ThermalHot
			case UnixMS:
				*a.UnixMS(&s) = 4242
			case Duration:
				*a.Duration(&s) = Some(42 * time.Second)
			default:
				t.Fatalf("type %d has no accessor", f.Type)
			}
			if s == base {
				t.Fatal("the accessor reached no field")
			}
			if !a.Known(&s) {
				t.Error("the value set is not known")
			}
			js := string(s.AppendJSON(nil))
			if f.OffWire {
				if js != baseJSON {
					t.Errorf("off-wire field changed the wire: %s", js)
				}
				return
			}
			if js == baseJSON || !strings.Contains(js, `"`+f.Key+`":`) {
				t.Errorf("%s not written: %s", f.Key, js)
			}
			var back Snapshot
			if err := json.Unmarshal([]byte(js), &back); err != nil {
				t.Fatal(err)
			}
			if back.Wire() != s.Wire() {
				t.Errorf("round trip: %+v, want %+v", back, s)
			}
		})
		if !f.OffWire {
			keys = append(keys, `"`+f.Key+`":`)
		}
	}
	// The wire order is the table's.
	js, at := baseJSON, 0
	for _, k := range keys {
		i := strings.Index(js[at:], k)
		if i < 0 {
			t.Fatalf("%s missing or out of order in %s", k, js)
		}
		at += i
	}
}

// Every wire key names one row, and the rows of the wire come first.
func TestSnapshotFieldsRows(t *testing.T) {
	seen := map[string]bool{}
	off := false
	for _, f := range SnapshotFields() {
		if seen[f.Key] {
			t.Errorf("%s: two rows", f.Key)
		}
		seen[f.Key] = true
		if f.OffWire {
			off = true
		} else if off {
			t.Errorf("%s: a wire field after an off-wire one", f.Key)
		}
		if g, ok := SnapshotField(f.Key); !ok || g.Name != f.Name {
			t.Errorf("SnapshotField(%q) = %v, %v", f.Key, g, ok)
		}
	}
	if _, ok := SnapshotField("gpu"); ok {
		t.Error("SnapshotField found a field that does not exist")
	}
}
