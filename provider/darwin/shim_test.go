package darwin

import (
	"testing"

	"github.com/restel/restel/internal/platformtest"
)

// TestShimPointerArgs checks on every GOOS that the purego shims convert
// Go pointers to uintptr only inside the purego.SyscallN call that uses
// them (unsafe.Pointer rule 4).
func TestShimPointerArgs(t *testing.T) {
	platformtest.ShimPointerArgs(t, []string{"purego.SyscallN"}, "libsystem_darwin.go", "iokit_darwin.go", "ioaccel_darwin.go")
}
