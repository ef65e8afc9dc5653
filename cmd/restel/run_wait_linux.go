package main

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// awaitExit blocks until the child has exited without reaping it:
// waitid(P_PID, pid, WEXITED|WNOWAIT), see waitid(2). The child stays a
// zombie, so its pid (and /proc/<pid>) cannot be reused while the end
// snapshot is taken; the caller reaps it with cmd.Wait afterwards. It
// reports whether the exit was observed; false (an unexpected waitid error)
// means the caller should reap first.
func awaitExit(p *os.Process) bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err == nil
	}
}
