package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/restel/restel/internal/strictjson"
)

// Access reaches one field of a struct S (a [Snapshot], a run's summary):
// the member matching the field's [Type] is set, the others are nil. The
// encoders on the hot path do not go through it (they are generated from
// the same rows); decoding, trace parsing, export and the live view do.
type Access[S any] struct {
	Float    func(*S) *Opt[float64]       // Percent
	Uint     func(*S) *Opt[uint64]        // Uint
	Pct8     func(*S) *Opt[uint8]         // Pct8
	Pressure func(*S) *MemoryPressure     // Pressure
	Thermal  func(*S) *ThermalState       // Thermal
	UnixMS   func(*S) *int64              // UnixMS
	Duration func(*S) *Opt[time.Duration] // Duration
	Count    func(*S) *uint64             // Count
}

// Known reports whether the field reached by a is known in s: a present
// optional value, a level other than unknown; an always-present value is
// always known.
func (a Access[S]) Known(s *S) bool {
	switch {
	case a.Float != nil:
		return a.Float(s).Valid
	case a.Uint != nil:
		return a.Uint(s).Valid
	case a.Pct8 != nil:
		return a.Pct8(s).Valid
	case a.Pressure != nil:
		return *a.Pressure(s) != MemoryPressureUnknown
	case a.Thermal != nil:
		return a.Thermal(s).Known()
	case a.Duration != nil:
		return a.Duration(s).Valid
	}
	return true
}

// Float64 returns the field's value as a float64 (a level as its
// constant, a duration in seconds) and whether it is known.
func (a Access[S]) Float64(s *S) (float64, bool) {
	switch {
	case a.Float != nil:
		o := a.Float(s)
		return o.V, o.Valid
	case a.Uint != nil:
		o := a.Uint(s)
		return float64(o.V), o.Valid
	case a.Pct8 != nil:
		o := a.Pct8(s)
		return float64(o.V), o.Valid
	case a.Pressure != nil:
		return float64(*a.Pressure(s)), a.Known(s)
	case a.Thermal != nil:
		return float64(*a.Thermal(s)), a.Known(s)
	case a.UnixMS != nil:
		return float64(*a.UnixMS(s)), true
	case a.Duration != nil:
		o := a.Duration(s)
		return o.V.Seconds(), o.Valid
	case a.Count != nil:
		return float64(*a.Count(s)), true
	}
	return 0, false
}

// errRequired is a null for a field that is never null.
var errRequired = errors.New("is required (never null)")

// SetJSON sets the field reached by a in s from raw, its JSON value,
// checking it as its type says: null is unknown (an error for a field
// that is never null), a percentage is within [0, 100], a level is one
// of its labels. Its error names the problem, not the field; it wraps
// [ErrInvalid].
func (a Access[S]) SetJSON(s *S, raw json.RawMessage) error {
	null := string(raw) == "null"
	if null && (a.Pressure != nil || a.Thermal != nil || a.UnixMS != nil) {
		return fmt.Errorf("%w: %v", ErrInvalid, errRequired)
	}
	var err error
	switch {
	case a.Float != nil:
		var v *float64
		if err = json.Unmarshal(raw, &v); err == nil && v != nil {
			if math.IsNaN(*v) || *v < 0 || *v > 100 {
				return fmt.Errorf("%w: %v outside [0,100]", ErrInvalid, *v)
			}
			*a.Float(s) = Some(*v)
		} else if err == nil {
			*a.Float(s) = Opt[float64]{}
		}
	case a.Uint != nil:
		var v *uint64
		if err = json.Unmarshal(raw, &v); err == nil {
			*a.Uint(s) = optFromPtr(v)
		}
	case a.Pct8 != nil:
		var v *uint64
		if err = json.Unmarshal(raw, &v); err == nil && v != nil {
			if *v > 100 {
				return fmt.Errorf("%w: %d above 100", ErrInvalid, *v)
			}
			*a.Pct8(s) = Some(uint8(*v))
		} else if err == nil {
			*a.Pct8(s) = Opt[uint8]{}
		}
	case a.Pressure != nil, a.Thermal != nil:
		var v string
		if err = json.Unmarshal(raw, &v); err != nil {
			break
		}
		if a.Pressure != nil {
			*a.Pressure(s), err = ParseMemoryPressure(v)
		} else {
			*a.Thermal(s), err = ParseThermalState(v)
		}
		return err
	case a.UnixMS != nil:
		err = json.Unmarshal(raw, a.UnixMS(s))
	case a.Count != nil:
		var v *uint64
		if err = json.Unmarshal(raw, &v); err == nil {
			*a.Count(s) = 0
			if v != nil {
				*a.Count(s) = *v
			}
		}
	default:
		return fmt.Errorf("%w: not on the wire", ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// decodeFields decodes b, a JSON object, into s by the keys of keys (as
// encoding/json matches struct fields: exactly, else ignoring case): an
// unknown key is an error, a missing key leaves its field as it is in s.
// It returns which keys were present. what names the object in errors.
func decodeFields[S any](b []byte, s *S, what string, keys []string, access func(i int) Access[S]) ([]bool, error) {
	seen := make([]bool, len(keys))
	err := strictjson.Object(b, func(key string, raw json.RawMessage) error {
		i := lookupKey(keys, key)
		if i < 0 {
			return fmt.Errorf("%w: %s: unknown field %q", ErrInvalid, what, key)
		}
		seen[i] = true
		if err := access(i).SetJSON(s, raw); err != nil {
			return fmt.Errorf("%s: %s: %w", what, keys[i], err)
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrInvalid) {
		err = fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
	}
	return seen, err
}

func lookupKey(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	for i, k := range keys {
		if strings.EqualFold(k, key) {
			return i
		}
	}
	return -1
}
