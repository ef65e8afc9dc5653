package nvml

import (
	"testing"

	"go.uber.org/goleak"
)

// A read runs on a goroutine of its own; every test must leave none
// behind, a hung call's included once the test lets it return.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
