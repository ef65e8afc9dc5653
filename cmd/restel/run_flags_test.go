package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
)

// testEnv returns an env writing to fresh buffers, with getenv reading vars.
func testEnv(ctx context.Context, vars map[string]string) (env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return env{
		ctx:    ctx,
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
	}, &stdout, &stderr
}

func TestParseRunArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    runConfig
		wantErr string // substring of the one-line error; "" = ok
	}{
		{args: []string{"--", "ls", "-l"}, want: runConfig{argv: []string{"ls", "-l"}}},
		{args: []string{"ls", "-l"}, want: runConfig{argv: []string{"ls", "-l"}}},
		{args: []string{"--", "--weird", "--mode", "x"}, want: runConfig{argv: []string{"--weird", "--mode", "x"}}},
		{args: []string{"--mode", "boundary", "--", "true"}, want: runConfig{mode: aggregate.ModeBoundary, modeSet: true, argv: []string{"true"}}},
		{args: []string{"--mode=summary:100ms", "true"}, want: runConfig{mode: aggregate.SummaryEvery(aggregate.MinInterval), modeSet: true, argv: []string{"true"}}},
		{args: []string{"--mode", "off", "--out", "f.json", "--", "true"}, want: runConfig{mode: aggregate.ModeOff, modeSet: true, out: "f.json", argv: []string{"true"}}},
		{args: []string{"--mode", "debug_local:2s", "true"}, want: runConfig{mode: aggregate.DebugLocalEvery(2 * time.Second), modeSet: true, argv: []string{"true"}}},
		{args: nil, wantErr: "missing command"},
		{args: []string{"--"}, wantErr: "missing command"},
		{args: []string{"--mode", "boundary"}, wantErr: "missing command"},
		{args: []string{"--", ""}, wantErr: "empty command name"},
		{args: []string{"--mode", "fast", "--", "true"}, wantErr: `invalid mode "fast"`},
		{args: []string{"--mode", "boundary:1s", "--", "true"}, wantErr: "takes no interval"},
		{args: []string{"--mode", "summary:-1s", "--", "true"}, wantErr: "negative interval"},
		{args: []string{"--mode"}, wantErr: "flag needs an argument"},
		{args: []string{"--out", "", "--", "true"}, wantErr: "empty --out"},
		{args: []string{"--bogus", "--", "true"}, wantErr: "flag provided but not defined: -bogus"},
		{args: []string{"-h"}, wantErr: "usage: --mode --out"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e, stdout, stderr := testEnv(context.Background(), nil)
			got, status, ok := parseRunArgs(e, tc.args)
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if tc.wantErr != "" {
				if ok || status != exitUsage {
					t.Fatalf("ok=%v status=%d, want a usage error", ok, status)
				}
				checkOneLineErr(t, stderr.String(), tc.wantErr)
				return
			}
			if !ok || stderr.Len() != 0 {
				t.Fatalf("ok=%v status=%d stderr=%q", ok, status, stderr)
			}
			if got.mode != tc.want.mode || got.modeSet != tc.want.modeSet || got.out != tc.want.out || !slices.Equal(got.argv, tc.want.argv) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// checkOneLineErr asserts stderr is exactly one "restel: ..." line
// containing want.
func checkOneLineErr(t *testing.T, stderr, want string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "restel: ") || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one line starting with \"restel: \"", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}

// FuzzParseRunArgs: any command line either parses or is a one-line usage
// error with exit status 2 and nothing on stdout; it never panics.
func FuzzParseRunArgs(f *testing.F) {
	f.Add("--mode\x00summary:1s\x00--\x00true")
	f.Add("--out\x00\x00ls")
	f.Add("--mode=debug_local:0s\x00x")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		e, stdout, stderr := testEnv(context.Background(), nil)
		cfg, status, ok := parseRunArgs(e, args)
		if stdout.Len() != 0 {
			t.Fatalf("stdout = %q", stdout)
		}
		if !ok {
			if status != exitUsage || strings.Count(stderr.String(), "\n") != 1 {
				t.Fatalf("status %d, stderr %q", status, stderr)
			}
			return
		}
		if len(cfg.argv) == 0 || cfg.argv[0] == "" {
			t.Fatalf("ok with argv %q", cfg.argv)
		}
		if cfg.modeSet && cfg.mode != cfg.mode.Normalized() {
			t.Fatalf("mode %+v not normalized", cfg.mode)
		}
	})
}
