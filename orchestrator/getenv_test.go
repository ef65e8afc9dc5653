package orchestrator

import (
	"strings"
	"testing"

	"github.com/restel/restel/aggregate"
)

// The default getenv follows every change of RESTEL_RESOURCE_TELEMETRY,
// as os.Getenv does, and reads it without allocating while it holds.
func TestDefaultGetenv(t *testing.T) {
	for _, tc := range []struct {
		name, value string
	}{
		{"off", "off"},
		{"changed", "boundary"},
		{"same length", "summary"},
		{"non-ASCII", "summary·é😀"},
		{"longer than a kept buffer", strings.Repeat("x", 300)},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvMode, tc.value)
			if got := defaultGetenv(EnvMode); got != tc.value {
				t.Fatalf("defaultGetenv = %q, want %q", got, tc.value)
			}
			if len(tc.value) > 100 {
				return // read the allocating way
			}
			if n := testing.AllocsPerRun(100, func() { defaultGetenv(EnvMode) }); n != 0 {
				t.Fatalf("reading an unchanged %s allocates %v times", EnvMode, n)
			}
		})
	}
	t.Run("other names", func(t *testing.T) {
		t.Setenv("RESTEL_TEST_OTHER", "x")
		if got := defaultGetenv("RESTEL_TEST_OTHER"); got != "x" {
			t.Fatalf("defaultGetenv = %q, want x", got)
		}
	})
}

// An Off run allocates nothing when the mode comes from the environment
// either: neither the look-up nor the parsed value costs a run anything.
func TestOffRunFromEnv(t *testing.T) {
	t.Setenv(EnvMode, "off")
	m := newMonitor(t, boundedProvider{unknownProvider{ErrNoProvider}})
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := m.BeginRun(t.Context(), m.ModeFromEnv(aggregate.ModeBoundary)).Finish(); ok {
			t.Fatal("a run the environment turned off yielded a summary")
		}
	}); n != 0 {
		t.Fatalf("an off run allocates %v times", n)
	}
}
