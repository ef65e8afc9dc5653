//go:build !windows

package orchestrator

import "os"

// defaultGetenv reads the process environment: os.Getenv, which allocates
// nothing outside Windows.
func defaultGetenv(key string) string { return os.Getenv(key) }
