//go:build !unix

package main

import "time"

// burnCPU spins for d of wall time (no rusage here).
func burnCPU(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func reportMaxRSS() {}

// reportFirstSignal: no SIGHUP here; the "signal" child is unix-only.
func reportFirstSignal() int { return 100 }
