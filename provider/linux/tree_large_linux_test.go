package linux

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// startSleepers starts a shell that forks n subshells, each blocked
// reading a pipe the test holds, and returns the shell (the tree's root,
// its n children the tree's other processes) once all n are forked. The
// forks are of the shell itself (no exec), so thousands start in a few
// seconds; the cleanup closes the pipe, which ends every child, and kills
// what is left of the process group.
func startSleepers(tb testing.TB, n int) *exec.Cmd {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt $0 ]; do read x <&3 & i=$((i+1)); done; echo ready; wait`, strconv.Itoa(n))
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r.Close()
	tb.Cleanup(func() {
		w.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		tb.Fatalf("%d sleepers: the shell said %q, %v", n, line, err)
	}
	return cmd
}
