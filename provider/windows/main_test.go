package windows

import (
	"testing"

	"go.uber.org/goleak"
)

// The provider starts no goroutine; the conformance suite and the
// concurrency tests start some and must leave none behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
