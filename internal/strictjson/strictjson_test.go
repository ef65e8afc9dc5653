package strictjson_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/restel/restel/internal/strictjson"
)

type point struct {
	X int  `json:"x"`
	Y *int `json:"y"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     point
		trailing bool // the error is ErrTrailing
		ok       bool
	}{
		{in: `{"x":1}`, want: point{X: 1}, ok: true},
		{in: " \n{\"x\":2}\t\n ", want: point{X: 2}, ok: true},
		{in: `{"x":1,"y":null}`, want: point{X: 1}, ok: true},
		{in: `{}`, ok: true},
		{in: `{"x":1,"z":2}`},                        // unknown field
		{in: `{"X":1}`, want: point{X: 1}, ok: true}, // encoding/json matches case-insensitively
		{in: `{"x":1}{"x":2}`, trailing: true},
		{in: `{"x":1}}`, trailing: true},
		{in: `{"x":1}]`, trailing: true},
		{in: `{"x":1} x`, trailing: true},
		{in: `{"x":1},`, trailing: true},
		{in: `{"x":"1"}`}, // wrong type
		{in: `{"x":1`},    // truncated
		{in: ``},
		{in: `null`, ok: true},
		{in: `[1]`},
	} {
		var got point
		err := strictjson.Decode([]byte(tc.in), &got)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.ok && (got.X != tc.want.X || (got.Y == nil) != (tc.want.Y == nil)):
			t.Errorf("%q: got %+v, want %+v", tc.in, got, tc.want)
		case !tc.ok && err == nil:
			t.Errorf("%q: accepted as %+v", tc.in, got)
		case tc.trailing && !errors.Is(err, strictjson.ErrTrailing):
			t.Errorf("%q: error %v, want ErrTrailing", tc.in, err)
		}
	}
}

// Whatever Decode accepts, encoding/json accepts too, and to the same
// value; Decode never panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"x":1}`, `{"x":1}}`, `{"x":1,"z":2}`, ` {"y":3} `, `{"x":1}{}`, `null`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var strict point
		if err := strictjson.Decode(b, &strict); err != nil {
			return
		}
		var loose point
		if err := json.Unmarshal(b, &loose); err != nil {
			t.Fatalf("Decode accepted %q, which encoding/json rejects: %v", b, err)
		}
		if strict.X != loose.X || (strict.Y == nil) != (loose.Y == nil) || (strict.Y != nil && *strict.Y != *loose.Y) {
			t.Fatalf("%q: Decode gave %+v, encoding/json %+v", b, strict, loose)
		}
	})
}

func TestObject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the members seen, key=value;
		ok   bool
	}{
		{in: `{"a":1,"b":null}`, want: "a=1;b=null;", ok: true},
		{in: ` {"a":{"x":[1,2]}} `, want: `a={"x":[1,2]};`, ok: true},
		{in: `{"a":1,"a":2}`, want: "a=1;a=2;", ok: true},
		{in: `{}`, ok: true},
		{in: `null`, ok: true},
		{in: `[1]`},
		{in: `1`},
		{in: `"a"`},
		{in: `{"a":1}{}`},
		{in: `{"a":1`},
		{in: `{"a"}`},
		{in: ``},
	} {
		var got string
		err := strictjson.Object([]byte(tc.in), func(k string, raw json.RawMessage) error {
			got += k + "=" + string(raw) + ";"
			return nil
		})
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%q: got %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// Whatever Object accepts, encoding/json decodes as an object (or null)
// with the same members, the last of a repeated key winning; Object never
// panics.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":null}`, `null`, `{"a":[1,{"b":2}]}`, `{"a":1}}`, `[1]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		seen := map[string]string{}
		if err := strictjson.Object(b, func(k string, raw json.RawMessage) error {
			seen[k] = string(raw)
			return nil
		}); err != nil {
			return
		}
		var loose map[string]json.RawMessage
		if err := json.Unmarshal(b, &loose); err != nil {
			t.Fatalf("Object accepted %q, which encoding/json rejects: %v", b, err)
		}
		if len(loose) != len(seen) {
			t.Fatalf("%q: Object saw %d keys, encoding/json %d", b, len(seen), len(loose))
		}
		for k, v := range loose {
			if seen[k] != string(v) {
				t.Fatalf("%q: key %q: Object %q, encoding/json %q", b, k, seen[k], v)
			}
		}
	})
}
