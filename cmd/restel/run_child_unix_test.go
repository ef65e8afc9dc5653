//go:build unix

package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownCPU is this process's user+system CPU time.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childrenCPU is the user+system CPU time of every child this process has
// reaped, and of their reaped descendants.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// burnCPU spins on one goroutine until this process has used d of CPU.
func burnCPU(d time.Duration) {
	for ownCPU() < d {
		for i := 0; i < 1e6; i++ {
			_ = i
		}
	}
}

// reportMaxRSS prints this process's ru_maxrss (KiB on Linux) on stderr.
func reportMaxRSS() {
	// On Linux the kernel's high-water mark of this process's own memory
	// (VmHWM): ru_maxrss is not reset by execve and can carry the peak of
	// the test binary that started this child (its vfork-style start
	// shares the parent's memory until the exec).
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, ln := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(ln, "VmHWM:"); ok {
				if kib, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					fmt.Fprintf(os.Stderr, "test-child-maxrss-kib=%d\n", kib)
					return
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		fmt.Fprintf(os.Stderr, "test-child-maxrss-kib=%d\n", ru.Maxrss)
	}
}

// reportFirstSignal is the "signal" child: it catches SIGHUP, SIGINT and
// SIGTERM (un-ignoring them), says "ready" and prints the first one it
// receives.
func reportFirstSignal() int {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	fmt.Println("ready")
	fmt.Println((<-sigs).String())
	return 0
}
