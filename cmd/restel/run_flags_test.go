package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
)

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
		{args: []string{"--out", "--", "./model"}, wantErr: `--out "--" looks like a flag`},
		{args: []string{"--out", "-", "--", "true"}, wantErr: `--out "-" looks like a flag`},
		{args: []string{"--out=-x", "true"}, wantErr: `--out "-x" looks like a flag`},
		{args: []string{"--out", "./-x", "--", "true"}, want: runConfig{out: "./-x", argv: []string{"true"}}},
		{args: []string{"--bogus", "--", "true"}, wantErr: "flag provided but not defined: --bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e, stdout, stderr := testEnv(context.Background(), nil)
			got, status, ok := parseRunArgs(e, tc.args)
			if parsed := checkParsed(t, "run", ok, status, stdout, stderr); parsed != (tc.wantErr == "") {
				t.Fatalf("parsed %v, want error %q", parsed, tc.wantErr)
			}
			if tc.wantErr != "" {
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Errorf("stderr %q does not contain %q", stderr, tc.wantErr)
				}
				return
			}
			if got.mode != tc.want.mode || got.modeSet != tc.want.modeSet || got.out != tc.want.out || !slices.Equal(got.argv, tc.want.argv) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
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
		if !checkParsed(t, "run", ok, status, stdout, stderr) {
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
