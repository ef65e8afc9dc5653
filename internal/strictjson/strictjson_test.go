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
