//go:build linux

package linux

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// readLink reads the target of the symbolic link at path (which must have
// spare capacity for a NUL) into buf with one readlinkat(2), without
// allocating, and returns its length. A target that fills buf may be cut
// short; the caller treats it as "not a DRM device".
func readLink(path, buf []byte) (int, error) {
	p := append(path[:len(path):cap(path)], 0)
	for {
		n, _, e := unix.Syscall6(unix.SYS_READLINKAT, atFDCWD, uintptr(unsafe.Pointer(&p[0])),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
			continue
		}
		return 0, e
	}
}

// listFDs appends the descriptor numbers listed in the directory at path
// (<procfs>/<pid>/fd, which must have spare capacity for a NUL) to dst, at
// most max of them.
func listFDs(path, dbuf []byte, dst []int, max int) ([]int, error) {
	return listNumbered(path, dbuf, dst, max, fdNumber)
}
