package windows

import (
	"testing"

	"github.com/restel/restel/internal/platformtest"
)

// TestShimPointerArgs checks on every GOOS that sys_windows.go and
// pdh_windows.go convert Go
// pointers to uintptr only inside the syscall.SyscallN call that uses them
// (unsafe.Pointer rule 4).
func TestShimPointerArgs(t *testing.T) {
	platformtest.ShimPointerArgs(t, []string{"syscall.SyscallN"}, "sys_windows.go", "pdh_windows.go")
}
