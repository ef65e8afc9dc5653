package darwin

import (
	"strings"
	"testing"

	"github.com/restel/restel/internal/unsafecall"
)

// TestShimPointerArgs checks on every GOOS that the purego shims convert
// Go pointers to uintptr only inside the purego.SyscallN call that uses
// them (unsafe.Pointer rule 4).
func TestShimPointerArgs(t *testing.T) {
	bad, err := unsafecall.Check([]string{"purego.SyscallN"}, "libsystem_darwin.go", "iokit_darwin.go", "ioaccel_darwin.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Error(strings.Join(bad, "\n"))
	}
}
