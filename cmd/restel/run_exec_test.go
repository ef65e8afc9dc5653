package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testChildEnv selects a behaviour when the test binary is re-executed as
// a child process (see TestMain).
const testChildEnv = "RESTEL_TEST_CHILD"

// testChildMiB is how much the "alloc" child allocates and touches
// unless RESTEL_TEST_MIB says otherwise.
const testChildMiB = 64

// testChild performs behaviour b in a re-executed test binary and returns
// its exit status:
//
//	alloc  allocate and touch RESTEL_TEST_MIB (default testChildMiB) MiB,
//	       hold it for RESTEL_TEST_HOLD (default 1.2s, so a 250ms sampler
//	       sees it several times), exit 0
//	spike  allocate and touch RESTEL_TEST_MIB MiB, free it and return it to
//	       the OS, wait RESTEL_TEST_HOLD, exit 0
//	burn   use RESTEL_TEST_HOLD of CPU time (its own, by getrusage) on one
//	       goroutine, exit 0
//
// alloc, spike and burn end by printing their own peak resident set (the
// kernel's ru_maxrss) on stderr as "test-child-maxrss-kib=N", the truth a
// summary's peak must reach.
//
//	sleep  sleep 30s, exit 0 (killed by signal tests long before)
//	exit   exit with the status in RESTEL_TEST_EXIT
//	signal catch SIGHUP, SIGINT and SIGTERM, print "ready" on stdout, then
//	       the first of them received, and exit 0
func testChild(b string) int {
	switch b {
	case "signal":
		return reportFirstSignal()
	case "alloc", "spike":
		buf := make([]byte, envInt("RESTEL_TEST_MIB", testChildMiB)<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		if b == "spike" {
			buf = nil
			debug.FreeOSMemory()
		}
		time.Sleep(envDuration("RESTEL_TEST_HOLD", 1200*time.Millisecond))
		runtime.KeepAlive(buf)
		reportMaxRSS()
		return 0
	case "burn":
		burnCPU(envDuration("RESTEL_TEST_HOLD", time.Second))
		reportMaxRSS()
		return 0
	case "sleep":
		time.Sleep(30 * time.Second)
		return 0
	case "exit":
		n, err := strconv.Atoi(os.Getenv("RESTEL_TEST_EXIT"))
		if err != nil {
			return 100
		}
		return n
	}
	os.Stderr.WriteString("unknown " + testChildEnv + " behaviour " + b + "\n")
	return 100
}

// testChildCmd returns a command re-executing the test binary as child b.
func testChildCmd(b string, extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), testChildEnv+"="+b), extraEnv...)
	return cmd
}

func TestExitStatus(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit 255", 255},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"kill -INT $$", 128 + int(syscall.SIGINT)},
	} {
		t.Run(tc.script, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tc.script)
			_ = cmd.Run()
			if got := exitStatus(cmd.ProcessState); got != tc.want {
				t.Errorf("exitStatus = %d, want %d", got, tc.want)
			}
		})
	}
	if got := exitStatus(nil); got != 1 {
		t.Errorf("exitStatus(nil) = %d, want 1", got)
	}
}

func TestForwardSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM delivery on windows")
	}
	cmd := testChildCmd("sleep")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	stop := startForwarding(sigs, cmd.Process, nil)
	sigs <- syscall.SIGTERM
	werr := cmd.Wait() // returns only because the forwarded SIGTERM killed the child
	stop()
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		t.Fatalf("Wait = %v, want an *exec.ExitError", werr)
	}
	if got, want := exitStatus(cmd.ProcessState), 143; got != want {
		t.Errorf("exit status = %d, want %d (killed by SIGTERM)", got, want)
	}
}

// TestForwardSignalsAfterExit: a signal for a child that already exited is
// dropped without error or panic, and done stops the forwarder.
func TestForwardSignalsAfterExit(t *testing.T) {
	cmd := testChildCmd("exit", "RESTEL_TEST_EXIT=0")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	stop := startForwarding(sigs, cmd.Process, nil)
	sigs <- os.Interrupt
	stop()
}

func TestOutFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := createOut(path)
	if err != nil {
		t.Fatal(err)
	}
	// Until commit, the old content stays in place.
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Fatalf("before commit: %q", b)
	}
	if err := o.commit([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	o.discard() // harmless after commit
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(b, []byte("{}\n")) {
		t.Fatalf("after commit: %q, %v", b, err)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600 (the replaced file's)", fi.Mode().Perm())
		}
	}
	assertOnlyFiles(t, dir, "summary.json")
}

func TestOutFileDiscard(t *testing.T) {
	dir := t.TempDir()
	o, err := createOut(filepath.Join(dir, "s.json"))
	if err != nil {
		t.Fatal(err)
	}
	o.discard()
	o.discard()
	assertOnlyFiles(t, dir)
	var nilOut *outFile
	nilOut.discard()
}

func TestOutFileBad(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{
		dir,                                     // a directory
		filepath.Join(dir, "missing", "s.json"), // no such directory
	} {
		o, err := createOut(path)
		if err == nil {
			o.discard()
			t.Errorf("createOut(%q) succeeded, want an error", path)
			continue
		}
		// The error names --out's path, not the temporary file's.
		if msg := err.Error(); !strings.HasPrefix(msg, "--out "+path+": ") || strings.Contains(msg, ".restel-") {
			t.Errorf("createOut(%q) = %q, want it to name the path only", path, msg)
		}
	}
}

func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("files in %s = %q, want %q", dir, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("files in %s = %q, want %q", dir, got, want)
		}
	}
}

// recordSignaler records the signals it is sent.
type recordSignaler struct{ got []os.Signal }

func (r *recordSignaler) Signal(s os.Signal) error {
	r.got = append(r.got, s)
	return nil
}

// TestForwardSignalsSkip: a skipped signal is not sent; others are, in
// order.
func TestForwardSignalsSkip(t *testing.T) {
	var rec recordSignaler
	sigs := make(chan os.Signal) // unbuffered: each send waits for the previous signal's turn
	stop := startForwarding(sigs, &rec, func(s os.Signal) bool { return s == os.Interrupt })
	for _, s := range []os.Signal{syscall.SIGTERM, os.Interrupt, syscall.SIGTERM, os.Interrupt} {
		sigs <- s
	}
	stop()
	if len(rec.got) != 2 || rec.got[0] != syscall.SIGTERM || rec.got[1] != syscall.SIGTERM {
		t.Errorf("forwarded %v, want [SIGTERM SIGTERM]", rec.got)
	}
	// SIGTERM is never taken for a terminal's Ctrl-C.
	if terminalSentIt(os.Getpid())(syscall.SIGTERM) {
		t.Error("terminalSentIt(SIGTERM) = true")
	}
}

// TestSameForeground: a Ctrl-C reached the child only when the terminal's
// foreground group is both restel's and the child's.
func TestSameForeground(t *testing.T) {
	for _, tc := range []struct {
		fg, self, child int
		want            bool
	}{
		{100, 100, 100, true},  // restel run in a shell's foreground: skip
		{100, 100, 200, false}, // the child made its own group (setsid): forward
		{300, 100, 100, false}, // restel in the background: the SIGINT came from kill
		{200, 100, 200, false}, // the child took the terminal: restel's SIGINT was sent
	} {
		if got := sameForeground(tc.fg, tc.self, tc.child); got != tc.want {
			t.Errorf("sameForeground(%d, %d, %d) = %v, want %v", tc.fg, tc.self, tc.child, got, tc.want)
		}
	}
}

func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return n
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}
