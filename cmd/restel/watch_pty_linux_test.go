package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

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
			redraw := []byte("\x1b[" + strconv.Itoa(tableLines) + "A")
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
