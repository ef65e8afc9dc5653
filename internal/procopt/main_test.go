package procopt_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The concurrency tests start goroutines and must leave none behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
