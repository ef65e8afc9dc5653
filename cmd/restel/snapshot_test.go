package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
)

// invokeSnapshot runs `restel snapshot args...` in-process.
func invokeSnapshot(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = realMain(e, append([]string{"snapshot"}, args...))
	return code, out.String(), errb.String()
}

func TestSnapshotBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--frobnicate"}, "frobnicate"},
		{"bad wait", []string{"--wait", "soon"}, "wait"},
		{"negative wait", []string{"--wait", "-1s"}, "--wait"},
		{"bad pid", []string{"--pid", "abc"}, "pid"},
		{"negative pid", []string{"--pid", "-3"}, "--pid -3"},
		{"zero pid", []string{"--pid", "0"}, "--pid 0: want a positive process id"},
		{"zero pid, = form", []string{"--pid=0"}, "--pid 0: want a positive process id"},
		{"positional argument", []string{"extra"}, `"extra"`},
		{"missing flag value", []string{"--procfs"}, "procfs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := invokeSnapshot(t, tt.args...)
			checkSnapshotUsageErr(t, code, stdout, stderr, tt.want)
		})
	}
}

func checkSnapshotUsageErr(t *testing.T, code int, stdout, stderr, want string) {
	t.Helper()
	if code != exitUsage {
		t.Errorf("exit %d; want %d", code, exitUsage)
	}
	if stdout != "" {
		t.Errorf("stdout %q; want nothing", stdout)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr %q; want exactly one line", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not name %q", stderr, want)
	}
}

// panickySlow is a provider whose slow signals panic or fail.
type panickySlow struct{}

func (panickySlow) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](40)}, nil
}
func (panickySlow) Thermal(context.Context) (provider.ThermalState, error) { panic("sensor exploded") }
func (panickySlow) Battery(context.Context) (provider.Opt[uint8], error) {
	return provider.Some[uint8](90), errors.New("stale charge")
}

// A slow signal that panics or fails merges nothing, and says so in the
// error, as in a monitor: the snapshot keeps the fast read's values.
func TestTakeSnapshotSlowSignalsGuarded(t *testing.T) {
	s, err := takeSnapshot(t.Context(), panickySlow{}, 0)
	if s.Thermal != provider.ThermalWarm || s.BatteryPct != provider.Some[uint8](40) {
		t.Errorf("snapshot %+v: a failed slow read changed it", s)
	}
	if !errors.Is(err, guard.ErrPanic) || !strings.Contains(err.Error(), "stale charge") {
		t.Errorf("err %v: want the panic and the battery error", err)
	}
}
