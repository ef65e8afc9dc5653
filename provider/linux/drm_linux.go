//go:build linux

package linux

import (
	"bytes"
	"encoding/binary"
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
// most max of them, reading entries with getdents64(2) into dbuf.
func listFDs(path, dbuf []byte, dst []int, max int) ([]int, error) {
	fd, err := openTreeDir(path)
	if err != nil {
		return dst, err
	}
	defer unix.Close(fd)
	for len(dst) < max {
		n, err := unix.Getdents(fd, dbuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, err
		}
		if n <= 0 {
			break
		}
		b := dbuf[:n]
		const nameOff = 19 // linux_dirent64: d_ino, d_off, d_reclen, d_type, name
		for len(b) >= nameOff && len(dst) < max {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < nameOff || reclen > len(b) {
				break
			}
			name := b[nameOff:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if v, ok := fdNumber(name); ok {
				dst = append(dst, v)
			}
			b = b[reclen:]
		}
	}
	return dst, nil
}
