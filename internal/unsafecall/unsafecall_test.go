package unsafecall_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restel/restel/internal/unsafecall"
)

const src = `package p

import (
	"syscall"
	"unsafe"
)

func ok(fn uintptr, x *int) {
	syscall.SyscallN(fn, uintptr(unsafe.Pointer(x)), 0)
}

func viaHelper(fn uintptr, x *int) {
	helper(fn, uintptr(unsafe.Pointer(x)))
}

func stored(fn uintptr, x *int) {
	p := uintptr(unsafe.Pointer(x))
	syscall.SyscallN(fn, p)
}

func nested(fn uintptr, x *int) {
	syscall.SyscallN(fn, uintptr(unsafe.Pointer(x))+8)
}

func helper(fn uintptr, args ...uintptr) { syscall.SyscallN(fn, args...) }
`

func TestCheck(t *testing.T) {
	name := filepath.Join(t.TempDir(), "shim.go")
	if err := os.WriteFile(name, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	bad, err := unsafecall.Check([]string{"syscall.SyscallN"}, name)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range bad {
		// "<file>:<line>:<col>: ..." → line number
		parts := strings.SplitN(strings.TrimPrefix(b, name+":"), ":", 2)
		lines = append(lines, parts[0])
	}
	if got, want := strings.Join(lines, ","), "13,17,22"; got != want {
		t.Errorf("violations on lines %s, want %s\n%s", got, want, strings.Join(bad, "\n"))
	}
	if _, err := unsafecall.Check(nil, filepath.Join(t.TempDir(), "missing.go")); err == nil {
		t.Error("missing file: no error")
	}
}
