package vouch

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// own is a provider of the module's: it vouches when bounded.
type own struct{ bounded bool }

func (o *own) Vouch(Key) any {
	if o.bounded {
		return o
	}
	return nil
}

// embeds wraps one of the module's providers, as a third party could.
type embeds struct{ *own }

type embedsValue struct {
	*own
	slice []int // not comparable
}

type liar struct{ target *own }

func (l liar) Vouch(Key) any { return l.target }

type panics struct{}

func (panics) Vouch(Key) any { panic("broken") }

type plain struct{}

func TestFor(t *testing.T) {
	bounded := &own{bounded: true}
	for _, tc := range []struct {
		name string
		p    any
		want bool
	}{
		{"own, bounded", bounded, true},
		{"own, not bounded", &own{}, false},
		{"embedding pointer", &embeds{bounded}, false},
		{"embedding value", embeds{bounded}, false},
		{"embedding an uncomparable value", embedsValue{own: bounded}, false},
		{"naming another provider", liar{bounded}, false},
		{"panicking", panics{}, false},
		{"no method", plain{}, false},
		{"nil", nil, false},
		{"nil own", (*own)(nil), false},
	} {
		if got := For(tc.p); got != tc.want {
			t.Errorf("%s: For = %v, want %v", tc.name, got, tc.want)
		}
	}
}
