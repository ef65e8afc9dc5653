package windows

import (
	"strings"
	"testing"

	"github.com/restel/restel/internal/unsafecall"
)

// TestShimPointerArgs checks on every GOOS that sys_windows.go and
// pdh_windows.go convert Go
// pointers to uintptr only inside the syscall.SyscallN call that uses them
// (unsafe.Pointer rule 4).
func TestShimPointerArgs(t *testing.T) {
	bad, err := unsafecall.Check([]string{"syscall.SyscallN"}, "sys_windows.go", "pdh_windows.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Error(strings.Join(bad, "\n"))
	}
}
