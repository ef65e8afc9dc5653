package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// testMainEnv makes the test binary behave as the restel binary: main()
// with the command line after the test binary's name (see TestBinary).
const testMainEnv = "RESTEL_TEST_MAIN"

// testHWMEnv names a file where the re-executed binary writes its
// /proc/self/status when it is done (Linux), so a test can read its own
// memory high-water mark.
const testHWMEnv = "RESTEL_TEST_STATUS_FILE"

// TestMain checks for leaked goroutines after the package's tests and lets
// the test binary double as a child process: as restel itself when
// RESTEL_TEST_MAIN=1, and as a child for `restel run` tests when
// RESTEL_TEST_CHILD names a behaviour (see testChild in run_exec_test.go).
func TestMain(m *testing.M) {
	if os.Getenv(testMainEnv) == "1" {
		if os.Getenv(testServeShortEnv) == "1" {
			serveLimitsNow = func() serveLimits { return testServeLimits }
		}
		if f := os.Getenv(testHWMEnv); f != "" {
			// The child's own peak: VmHWM belongs to the memory map made
			// by exec, unlike ru_maxrss, which also carries the parent's
			// high-water mark across Go's vfork-style start.
			catchSIGPIPE() // as main does
			e := env{ctx: context.Background(), stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
			status := realMain(e, os.Args[1:])
			if b, err := os.ReadFile("/proc/self/status"); err == nil {
				_ = os.WriteFile(f, b, 0o600)
			}
			os.Exit(status)
		}
		main()
	}
	if b := os.Getenv(testChildEnv); b != "" {
		os.Exit(testChild(b))
	}
	// Runs inside the test binary do not adopt orphans: its other children
	// are other tests' (runs in a restel process of their own do).
	adoptOrphans = false
	goleak.VerifyTestMain(m)
}

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

// runRestel runs `restel ARGS...` in-process and returns status, stdout
// and stderr.
func runRestel(t *testing.T, vars map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	e, stdout, stderr := testEnv(t.Context(), vars)
	e.stdin = strings.NewReader(stdin)
	status := realMain(e, args)
	return status, stdout.String(), stderr.String()
}

// checkUsageErr asserts docs/contract.md §6's rule for bad input: status 2, nothing on
// stdout, and exactly one line on stderr that starts with prefix
// ("restel: replay: ") and contains want.
func checkUsageErr(t *testing.T, status int, stdout, stderr, prefix, want string) {
	t.Helper()
	if status != exitUsage {
		t.Errorf("status %d, want %d", status, exitUsage)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	if !strings.HasPrefix(stderr, prefix) || !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", stderr, prefix)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not contain %q", stderr, want)
	}
}

// checkParsed checks the outcome of a subcommand's flag parser, which
// either succeeds silently, prints help (status 0), or reports bad input
// in the one-line form. It reports whether the parse succeeded.
func checkParsed(t *testing.T, cmd string, ok bool, status int, stdout, stderr *bytes.Buffer) bool {
	t.Helper()
	if ok {
		if status != 0 || stdout.Len()+stderr.Len() != 0 {
			t.Fatalf("parsed, yet status %d stdout %q stderr %q", status, stdout, stderr)
		}
		return true
	}
	if status == 0 {
		// A request for help (-h, --help): the help text on stdout.
		if stderr.Len() != 0 || !strings.HasPrefix(stdout.String(), "restel "+cmd+": ") || !strings.Contains(stdout.String(), "\nUsage:\n") {
			t.Fatalf("not parsed with status 0, yet stdout %q stderr %q is not help", stdout, stderr)
		}
		return false
	}
	checkUsageErr(t, status, stdout.String(), stderr.String(), "restel: "+cmd+": ", "")
	return false
}

// TestUsage: the command line as a whole. No command or an unknown one is
// bad input; so is every subcommand's unknown flag, each naming the
// subcommand once. (Help is not bad input: see TestHelp.)
func TestUsage(t *testing.T) {
	const names = "commands: fit, headroom, help, replay, run, serve, snapshot, version, watch"
	for _, tc := range []struct {
		args   []string
		prefix string
		want   string
	}{
		{nil, "restel: ", "missing command: usage: restel COMMAND [ARGS...]; " + names},
		{[]string{"bogus"}, "restel: ", `unknown command "bogus": usage: restel COMMAND [ARGS...]; ` + names},
		{[]string{""}, "restel: ", `unknown command "": usage: restel COMMAND [ARGS...]; ` + names},
		{[]string{"--bogus"}, "restel: ", `unknown command "--bogus": usage: restel COMMAND [ARGS...]; ` + names},
		{[]string{"help", "bogus"}, "restel: help: ", `unknown command "bogus"; ` + names},
		{[]string{"help", "run", "watch"}, "restel: help: ", `unexpected argument "watch": usage: restel help [COMMAND]`},
		{[]string{"help", "--x"}, "restel: help: ", "flag provided but not defined: --x"},
		{[]string{"version", "now"}, "restel: version: ", `unexpected argument "now": usage: restel version`},
		{[]string{"--version", "--x"}, "restel: version: ", "flag provided but not defined: --x"},
		{[]string{"replay", "--x"}, "restel: replay: ", "flag provided but not defined: --x"},
		{[]string{"run", "--x", "--", "true"}, "restel: run: ", "flag provided but not defined: --x"},
		{[]string{"watch", "--x"}, "restel: watch: ", "flag provided but not defined: --x"},
		{[]string{"snapshot", "--x"}, "restel: snapshot: ", "flag provided but not defined: --x"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", tc.args...)
			checkUsageErr(t, status, stdout, stderr, tc.prefix, tc.want)
			if strings.Count(stderr, "restel") > strings.Count(tc.prefix+tc.want, "restel") {
				t.Errorf("stderr %q says restel more often than %q", stderr, tc.prefix+tc.want)
			}
		})
	}
}

// binary runs the test binary as restel (TestMain's RESTEL_TEST_MAIN) with
// args and returns the exit status, stdout and stderr.
func binary(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestBinary checks docs/contract.md §6 black-box, on a real process: exit statuses
// through os.Exit, real standard streams, NDJSON on a pipe. It runs in
// every go test (a few seconds): it is the test closest to the outside
// checks.
func TestBinary(t *testing.T) {
	spike := filepath.Join(replayScripts, "cpu-spike.trace")
	t.Run("replay golden", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", "replay", "--mode", "summary:250ms", spike)
		if want := mustRead(t, filepath.Join(replayScripts, "cpu-spike.golden.json")); status != 0 || stdout != want || stderr != "" {
			t.Errorf("status %d stdout %q stderr %q, want 0 and %q", status, stdout, stderr, want)
		}
	})
	t.Run("replay off", func(t *testing.T) {
		if status, stdout, stderr := binary(t, "", "replay", "--mode=off", spike); status != 0 || stdout != "null\n" || stderr != "" {
			t.Errorf("status %d stdout %q stderr %q, want 0 and null", status, stdout, stderr)
		}
	})
	t.Run("replay parse error", func(t *testing.T) {
		status, stdout, stderr := binary(t, "@0s cpu=1\n@1s thermal=toasty\n", "replay", "-")
		checkUsageErr(t, status, stdout, stderr, "restel: replay: ", `<stdin>:2: bad thermal "toasty"`)
	})
	t.Run("replay unreadable", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", "replay", filepath.Join(t.TempDir(), "none.trace"))
		checkUsageErr(t, status, stdout, stderr, "restel: replay: ", "none.trace: "+notFoundText(t))
	})
	t.Run("help", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", "--help")
		if status != 0 || !strings.Contains(stdout, "Usage:\n  restel COMMAND") || stderr != "" {
			t.Errorf("--help: status %d stdout %q stderr %q, want 0 and help on stdout", status, stdout, stderr)
		}
	})
	t.Run("version", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", "version")
		if status != 0 || !strings.HasPrefix(stdout, "restel ") || !strings.HasSuffix(stdout, runtime.Version()+"\n") || stderr != "" {
			t.Errorf("version: status %d stdout %q stderr %q, want 0 and one version line", status, stdout, stderr)
		}
	})
	t.Run("no command", func(t *testing.T) {
		status, stdout, stderr := binary(t, "")
		checkUsageErr(t, status, stdout, stderr, "restel: ", "missing command")
	})
	if runtime.GOOS == "windows" {
		return
	}
	t.Run("run exit status and summary", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", "run", "--mode", "boundary", "--", "sh", "-c", "exit 4")
		if status != 4 || stdout != "" {
			t.Errorf("status %d stdout %q, want 4 and nothing", status, stdout)
		}
		if u := parseUsage(t, lastLine(t, stderr)); u.SampleCount != 2 {
			t.Errorf("summary %q, want boundary with 2 samples", stderr)
		}
	})
	t.Run("watch piped ends 0 on SIGTERM", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "watch", "--interval", "250ms")
		cmd.Env = append(os.Environ(), testMainEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Two NDJSON lines prove it is running and chose NDJSON for a pipe.
		buf := make([]byte, 0, 4096)
		for bytes.Count(buf, []byte("\n")) < 2 {
			n, err := out.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		rest := make([]byte, 1<<16)
		for {
			n, err := out.Read(rest)
			buf = append(buf, rest[:n]...)
			if err != nil {
				break
			}
		}
		werr := cmd.Wait()
		if werr != nil || stderr.Len() != 0 {
			t.Errorf("watch after SIGTERM: %v, stderr %q; want status 0", werr, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], `{"cpu_pct":`) {
			t.Errorf("stdout %q, want NDJSON snapshots", buf)
		}
	})
}

// Flag errors spell the flag as the help does, --name, whichever form the
// flag package reports: unknown, missing value, bad value, bad boolean.
func TestFlagErrorsSpellDoubleDash(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"snapshot", "-bogus"}, "restel: snapshot: flag provided but not defined: --bogus\n"},
		{[]string{"snapshot", "--bogus=1"}, "restel: snapshot: flag provided but not defined: --bogus\n"},
		{[]string{"snapshot", "--wait"}, "restel: snapshot: flag needs an argument: --wait\n"},
		{[]string{"snapshot", "--wait", "soon"}, `restel: snapshot: invalid value "soon" for --wait: parse error` + "\n"},
		{[]string{"replay", "--mode", "fast", "x.trace"}, `restel: replay: invalid value "fast" for --mode: `},
		{[]string{"watch", "--json=maybe"}, `restel: watch: invalid boolean value "maybe" for --json: parse error` + "\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", tc.args...)
			if status != exitUsage || stdout != "" || !strings.HasPrefix(stderr, tc.want) || strings.Contains(stderr, " -"+strings.TrimLeft(tc.args[1], "-")[:3]) {
				t.Errorf("status %d stderr %q, want %d and %q", status, stderr, exitUsage, tc.want)
			}
		})
	}
}

// notFoundText is how the OS words a missing file ("no such file or
// directory" on Unix, its own sentence on Windows), as an open's error
// ends.
func notFoundText(t *testing.T) string {
	t.Helper()
	_, err := os.Open(filepath.Join(t.TempDir(), "missing"))
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("opening a missing file: %v, want a *fs.PathError for fs.ErrNotExist", err)
	}
	return pe.Err.Error()
}
