package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks for leaked goroutines after the package's tests and lets
// the test binary double as a child process for `restel run` tests: when
// RESTEL_TEST_CHILD names a behaviour, the binary performs it and exits
// instead of running tests (see testChild in run_test.go).
func TestMain(m *testing.M) {
	if b := os.Getenv(testChildEnv); b != "" {
		os.Exit(testChild(b))
	}
	goleak.VerifyTestMain(m)
}
