package main

import (
	"errors"
	"flag"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelp: every way of asking for help prints real help on stdout
// (synopsis, every flag with its description, examples) and exits 0 with
// nothing on stderr; `restel help CMD` and `restel CMD --help` agree.
func TestHelp(t *testing.T) {
	main := []string{"Usage:\n  restel COMMAND [ARGS...]\n", "Commands:\n", "Examples:\n  restel "}
	for name, c := range commands {
		main = append(main, "  "+name+" ", c.summary+"\n")
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", args...)
			if status != 0 || stderr != "" {
				t.Fatalf("status %d stderr %q, want 0 and nothing", status, stderr)
			}
			for _, want := range main {
				if !strings.Contains(stdout, want) {
					t.Errorf("help lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			_, viaHelp, _ := runRestel(t, nil, "", "help", name)
			for _, flagHelp := range []string{"--help", "-h", "-help"} {
				status, stdout, stderr := runRestel(t, nil, "", name, flagHelp)
				if status != 0 || stderr != "" {
					t.Fatalf("%s %s: status %d stderr %q, want 0 and nothing", name, flagHelp, status, stderr)
				}
				if stdout != viaHelp {
					t.Errorf("restel %s %s differs from restel help %s:\n%s\n---\n%s", name, flagHelp, name, stdout, viaHelp)
				}
			}
			want := []string{"restel " + name + ": " + commands[name].summary, "Usage:\n  restel " + name, "Examples:\n  restel " + name}
			if u := commands[name].usage; u != "" {
				want = append(want, "Usage:\n  "+u+"\n")
			}
			for _, w := range want {
				if !strings.Contains(viaHelp, w) {
					t.Errorf("help lacks %q:\n%s", w, viaHelp)
				}
			}
		})
	}
}

// TestHelpFlags: a subcommand's help lists each flag with its placeholder,
// description and default.
func TestHelpFlags(t *testing.T) {
	for cmd, want := range map[string][]string{
		"watch": {
			"  --interval DUR  time between snapshots (minimum 250ms; smaller values are clamped up) (default 1s)\n",
			"  --json          print NDJSON snapshots even on a terminal\n",
			"Press q or Ctrl-C to quit.",
		},
		"run":      {"  --mode M    sampling mode: ", "  --out FILE  write the summary to FILE"},
		"replay":   {"  --mode M  sampling mode: off, boundary, summary[:DUR] or debug_local[:DUR] (default summary:1s)\n"},
		"snapshot": {"Usage:\n  restel snapshot [--pid N] [--procfs DIR] [--sysfs DIR] [--wait DUR]\n", "  --wait DUR    time between"},
	} {
		_, stdout, _ := runRestel(t, nil, "", cmd, "--help")
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s --help lacks %q:\n%s", cmd, w, stdout)
			}
		}
	}
}

// fullWriter fails every write, like stdout on /dev/full.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestHelpWriteError: help or version that cannot be written is an I/O
// error (status 1, one line on stderr), not bad input.
func TestHelpWriteError(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"watch", "--help"}, {"version"}} {
		e, _, stderr := testEnv(t.Context(), nil)
		e.stdout = fullWriter{}
		if status := realMain(e, args); status != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "no space left") {
			t.Errorf("%v on a full stdout: status %d stderr %q, want 1 and one line", args, status, stderr)
		}
	}
}

func TestVersionLine(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "restel (unknown version: no build information)\n"},
		{"released", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.4.0"}}, true, "restel v1.4.0 go1.26.0\n"},
		{"pseudo-version names its revision", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261129180000-0123456789ab"},
			Settings: settings("vcs.revision", rev)}, true, "restel v0.0.0-20261129180000-0123456789ab go1.26.0\n"},
		{"devel, no vcs", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, true, "restel (devel) go1.26.0\n"},
		{"empty version", &debug.BuildInfo{GoVersion: "go1.26.0"}, true, "restel (devel) go1.26.0\n"},
		{"devel, clean checkout", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-11-29T18:00:00Z", "vcs.modified", "false")}, true,
			"restel (devel) 0123456789ab 2026-11-29T18:00:00Z go1.26.0\n"},
		{"devel, modified", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", rev, "vcs.modified", "true")}, true, "restel (devel) 0123456789ab-dirty go1.26.0\n"},
		{"short revision", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: settings("vcs.revision", "abc")}, true, "restel (devel) abc\n"},
	} {
		if got := versionLine(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The help of `restel version` shows what it prints: each example line
// in its help is what versionLine makes of such a build, and the help
// names every part versionLine may print.
func TestVersionHelpSaysWhatItPrints(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	help := commandHelp["version"].examples
	for _, bi := range []*debug.BuildInfo{
		{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}},
		{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-11-29T18:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
	} {
		if line := strings.TrimSuffix(versionLine(bi, true), "\n"); !strings.Contains(help, "# "+line+"\n") && !strings.HasSuffix(help, "# "+line) {
			t.Errorf("version help examples %q do not show %q", help, line)
		}
	}
	for _, part := range []string{"commit", "-dirty", "time", "Go version", "(devel)", "no commit"} {
		if !strings.Contains(commandHelp["version"].details, part) {
			t.Errorf("version help does not say %q", part)
		}
	}
}

func TestUsageArg(t *testing.T) {
	for _, tc := range []struct{ synopsis, flag, want string }{
		{"restel run [--mode M] [--out FILE] -- CMD [ARGS...]", "mode", "M"},
		{"restel run [--mode M] [--out FILE] -- CMD [ARGS...]", "out", "FILE"},
		{"restel watch [--interval DUR] [--json]", "json", ""},
		{"restel watch [--interval DUR] [--json]", "interval", "DUR"},
		{"restel x [--a] [--b B]", "a", ""},
		{"", "a", ""},
	} {
		if got := usageArg(tc.synopsis, tc.flag); got != tc.want {
			t.Errorf("usageArg(%q, %q) = %q, want %q", tc.synopsis, tc.flag, got, tc.want)
		}
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("root", "", "procfs root")
	fs.String("name", "", "a `LABEL` to print")
	fs.String("s", "", "text")
	fs.Bool("b", false, "on")
	for name, want := range map[string]string{"root": "DIR", "name": "LABEL", "s": "VALUE", "b": ""} {
		if got, _ := flagArg(fs.Lookup(name)); got != want {
			t.Errorf("flagArg(%s) = %q, want %q", name, got, want)
		}
	}
}
