package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: /dev/ptmx, unlocked (TIOCSPTLCK)
// and its /dev/pts/N (TIOCGPTN), see pty(7).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		t.Skipf("ptsname: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Skipf("open pts: %v", err)
	}
	return master, slave
}

// TestWatchOnTerminal runs `restel watch` (the test binary as restel) with
// its stdout on a pseudo-terminal: it draws the live table, redraws it in
// place, colours pressure and thermal unless NO_COLOR is set, and exits 0
// on SIGTERM.
func TestWatchOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     []string
		colours bool
	}{
		{"colour", []string{"TERM=xterm-256color", "NO_COLOR="}, true},
		{"NO_COLOR", []string{"TERM=xterm-256color", "NO_COLOR=1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, slave := openPTY(t)
			defer master.Close()
			cmd := exec.Command(os.Args[0], "watch", "--interval", "250ms")
			cmd.Env = append(append(os.Environ(), testMainEnv+"=1"), tc.env...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = slave, &stderr
			if err := cmd.Start(); err != nil {
				slave.Close()
				t.Fatal(err)
			}
			slave.Close() // the child holds it; EIO on master once it exits

			chunks := make(chan []byte)
			go func() {
				defer close(chunks)
				for {
					b := make([]byte, 4096)
					n, err := master.Read(b)
					if n > 0 {
						chunks <- b[:n]
					}
					if err != nil {
						return
					}
				}
			}()
			var out []byte
			// Wait for the second frame: it starts by moving the cursor up
			// over the first one.
			redraw := []byte("\x1b[" + strconv.Itoa(watchLines) + "A")
			for c := range chunks {
				out = append(out, c...)
				if bytes.Contains(out, redraw) {
					break
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			for c := range chunks { // drain until the child is gone
				out = append(out, c...)
			}
			if err := cmd.Wait(); err != nil || stderr.Len() != 0 {
				t.Errorf("watch on a terminal after SIGTERM: %v, stderr %q; want status 0", err, stderr.String())
			}
			s := string(out)
			for _, want := range []string{"restel watch  every 250ms", "  pressure     ", "  thermal      ", string(redraw)} {
				if !strings.Contains(s, want) {
					t.Errorf("terminal output lacks %q:\n%q", want, s)
				}
			}
			if strings.Contains(s, `{"cpu_pct"`) {
				t.Errorf("NDJSON on a terminal without --json:\n%q", s)
			}
			if got := strings.Contains(s, ansiReset); got != tc.colours {
				t.Errorf("colour sequences present = %v, want %v:\n%q", got, tc.colours, s)
			}
		})
	}
}

// ptyWatch is `restel watch` (the test binary as restel) running with a
// pseudo-terminal as its controlling terminal, stdin and stdout, as in an
// interactive shell: typed keys reach its stdin, Ctrl-C is SIGINT from
// the line discipline, and a window-size change sends SIGWINCH.
type ptyWatch struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	stderr bytes.Buffer
	chunks chan []byte
	out    []byte // everything read so far
}

func startPTYWatch(t *testing.T, cols int, args ...string) *ptyWatch {
	t.Helper()
	master, slave := openPTY(t)
	t.Cleanup(func() { master.Close() })
	setSize(t, master, cols)
	w := &ptyWatch{t: t, master: master, chunks: make(chan []byte)}
	w.cmd = exec.Command(os.Args[0], append([]string{"watch"}, args...)...)
	w.cmd.Env = append(os.Environ(), testMainEnv+"=1", "TERM=xterm-256color", "NO_COLOR=")
	w.cmd.Stdin, w.cmd.Stdout, w.cmd.Stderr = slave, slave, &w.stderr
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := w.cmd.Start(); err != nil {
		slave.Close()
		t.Fatal(err)
	}
	slave.Close() // the child holds it; EIO on master once it exits
	go func() {
		defer close(w.chunks)
		for {
			b := make([]byte, 4096)
			n, err := master.Read(b)
			if n > 0 {
				w.chunks <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

// setSize sets the terminal's window size (TIOCSWINSZ) to cols x 24.
func setSize(t *testing.T, master *os.File, cols int) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
}

// waitFor reads output until it holds want after offset from, and returns
// the offset just past it.
func (w *ptyWatch) waitFor(from int, want string) int {
	w.t.Helper()
	for {
		if i := bytes.Index(w.out[from:], []byte(want)); i >= 0 {
			return from + i + len(want)
		}
		c, ok := <-w.chunks
		if !ok {
			w.t.Fatalf("watch ended before printing %q:\n%q\nstderr %q", want, w.out[from:], w.stderr.String())
		}
		w.out = append(w.out, c...)
	}
}

// wait drains the output until the child is gone and returns its exit
// error.
func (w *ptyWatch) wait() error {
	for c := range w.chunks {
		w.out = append(w.out, c...)
	}
	return w.cmd.Wait()
}

// lflag returns the terminal's local mode flags (TCGETS on the master
// reads the slave's termios).
func (w *ptyWatch) lflag() uint32 {
	w.t.Helper()
	tio, err := unix.IoctlGetTermios(int(w.master.Fd()), unix.TCGETS)
	if err != nil {
		w.t.Fatal(err)
	}
	return tio.Lflag
}

// TestWatchQuitRestoresTerminal: on a terminal, watch turns echo and line
// editing off while it runs (a typed q is not echoed) and every way out —
// q, Ctrl-C, SIGTERM, SIGHUP, SIGQUIT — ends it with status 0, nothing
// on stderr, and the terminal's mode as it was.
func TestWatchQuitRestoresTerminal(t *testing.T) {
	for _, tc := range []struct {
		name string
		quit func(w *ptyWatch) error
	}{
		{"q", func(w *ptyWatch) error { _, err := w.master.Write([]byte("q")); return err }},
		{"Q after an arrow key", func(w *ptyWatch) error { _, err := w.master.Write([]byte("\x1b[AQ")); return err }},
		{"Ctrl-C", func(w *ptyWatch) error { _, err := w.master.Write([]byte{0x03}); return err }},
		{"SIGTERM", func(w *ptyWatch) error { return w.cmd.Process.Signal(syscall.SIGTERM) }},
		{"SIGHUP", func(w *ptyWatch) error { return w.cmd.Process.Signal(syscall.SIGHUP) }},
		{"SIGQUIT", func(w *ptyWatch) error { return w.cmd.Process.Signal(syscall.SIGQUIT) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startPTYWatch(t, 80, "--interval", "250ms")
			before := w.lflag()
			if before&unix.ECHO == 0 || before&unix.ICANON == 0 {
				t.Fatalf("a fresh terminal has lflag %#x, want ECHO and ICANON", before)
			}
			w.waitFor(0, "q quits")
			// The mode is set before the first frame is drawn.
			if got := w.lflag(); got&(unix.ECHO|unix.ICANON) != 0 || got&unix.ISIG == 0 {
				t.Errorf("while watching lflag %#x: want ECHO and ICANON off, ISIG on", got)
			}
			if err := tc.quit(w); err != nil {
				t.Fatal(err)
			}
			if err := w.wait(); err != nil || w.stderr.Len() != 0 {
				t.Errorf("watch after %s: %v, stderr %q; want status 0 and nothing", tc.name, err, w.stderr.String())
			}
			if after := w.lflag(); after != before {
				t.Errorf("terminal lflag %#x after watch, want %#x as before", after, before)
			}
			if bytes.Contains(w.out, []byte("q\r\n")) || bytes.HasSuffix(w.out, []byte("q")) {
				t.Errorf("the q was echoed:\n%q", w.out)
			}
		})
	}
}

// TestWatchNarrowResize: a 30-column terminal gets lines of at most 30
// columns, and a resize from 80 to 30 columns clears the screen before the
// next frame, which fits the new width.
func TestWatchNarrowResize(t *testing.T) {
	for _, start := range []int{30, 80} {
		t.Run(strconv.Itoa(start)+" columns", func(t *testing.T) {
			w := startPTYWatch(t, start, "--interval", "250ms")
			off := w.waitFor(0, "restel watch")
			off = w.waitFor(off, "\x1b["+strconv.Itoa(watchLines)+"A") // a second frame
			if start != 30 {
				setSize(t, w.master, 30) // the kernel sends SIGWINCH
				off = w.waitFor(off, ansiHome+ansiClearScreen)
			}
			// The frame after the clear (or after the cursor-up), whole.
			end := w.waitFor(off, "restel rss")
			end = w.waitFor(end, "\n")
			frame := string(w.out[off:end])
			if _, err := w.master.Write([]byte("q")); err != nil {
				t.Fatal(err)
			}
			if err := w.wait(); err != nil || w.stderr.Len() != 0 {
				t.Errorf("watch: %v, stderr %q", err, w.stderr.String())
			}
			lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(frame, "\r\n", "\n"), "\n"), "\n")
			if len(lines) != tableLines {
				t.Errorf("frame has %d lines, want %d:\n%q", len(lines), tableLines, frame)
			}
			for _, l := range lines {
				if wd := visibleWidth([]byte(l)); wd > 30 {
					t.Errorf("line %q is %d columns on a 30-column terminal", l, wd)
				}
			}
			// The sparkline fills what the label leaves: 15 columns.
			if spark := strings.TrimPrefix(lines[2], ansiClearLn+strings.Repeat(" ", labelWidth)); utf8.RuneCountInString(spark) < 1 || utf8.RuneCountInString(spark) > 30-labelWidth {
				t.Errorf("cpu sparkline %q, want 1 to %d bars", spark, 30-labelWidth)
			}
		})
	}
}

// TestWatchResumeAfterSuspend: after a suspension, during which the shell
// puts its own terminal mode back (echo and line editing on), SIGCONT
// makes watch set its mode again and redraw from a clear screen; q still
// quits and the mode from before is restored. (SIGSTOP stands in for
// Ctrl-Z: the kernel discards SIGTSTP for the test's orphaned process
// group.)
func TestWatchResumeAfterSuspend(t *testing.T) {
	w := startPTYWatch(t, 80, "--interval", "250ms")
	before := w.lflag()
	off := w.waitFor(0, "q quits")
	if err := w.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(w.cmd.Process.Pid, &ws, unix.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Fatalf("wait for the stop: %v, status %v", err, ws)
	}
	tio, err := unix.IoctlGetTermios(int(w.master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag |= unix.ECHO | unix.ICANON // what the shell does on a stop
	if err := unix.IoctlSetTermios(int(w.master.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	w.waitFor(off, ansiHome+ansiClearScreen)
	if got := w.lflag(); got&(unix.ECHO|unix.ICANON) != 0 {
		t.Errorf("after SIGCONT lflag %#x: want ECHO and ICANON off again", got)
	}
	if _, err := w.master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := w.wait(); err != nil || w.stderr.Len() != 0 {
		t.Errorf("watch: %v, stderr %q", err, w.stderr.String())
	}
	if after := w.lflag(); after != before {
		t.Errorf("terminal lflag %#x after watch, want %#x", after, before)
	}
}
