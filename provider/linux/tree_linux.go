//go:build linux

package linux

import (
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The tree reader's file access. A file is opened by openRawBytes, the
// package's one reader open (non-blocking, close-on-exec, no controlling
// terminal, regular files only), from a path built in a caller's byte
// buffer, so a walk does not allocate; a directory is opened O_DIRECTORY
// with the same flags.

// readTreeFile reads the file at path (which must have spare capacity for
// a NUL) into buf until end of file or a full buffer, and returns the byte
// count. Anything but a regular file is refused with an error wrapping
// errNotRegular.
func readTreeFile(path, buf []byte) (int, error) {
	f, err := openRawBytes(path)
	if err != nil {
		return 0, err
	}
	defer f.close()
	return f.readFull(buf)
}

// openTreeDir opens the directory at path (which must have spare capacity
// for a NUL): O_DIRECTORY refuses anything else with ENOTDIR at once.
func openTreeDir(path []byte) (int, error) {
	p := append(path[:len(path):cap(path)], 0)
	for {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(&p[0])),
			uintptr(unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY), 0, 0, 0)
		switch e {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		}
		return -1, e
	}
}

// listTreeDir appends the numeric entries of the directory at path (pids
// under a procfs root, tids under <pid>/task) to dst, at most max of them,
// reading directory entries with getdents64(2) into dbuf.
func listTreeDir(path, dbuf []byte, dst []int, max int) ([]int, error) {
	return listNumbered(path, dbuf, dst, max, pidNumber)
}

// listNumbered appends the entries of the directory at path that parse
// names a number (a pid, a descriptor) to dst, at most max of them,
// reading directory entries with getdents64(2) into dbuf.
func listNumbered(path, dbuf []byte, dst []int, max int, parse func([]byte) (int, bool)) ([]int, error) {
	fd, err := openTreeDir(path)
	if err != nil {
		return dst, err
	}
	defer unix.Close(fd)
	start := len(dst)
	for len(dst)-start < max {
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
		dst = appendDirents(dst, dbuf[:n], start+max, parse)
	}
	return dst, nil
}

// appendDirents appends the numeric names among the linux_dirent64
// records in b (d_ino u64, d_off s64, d_reclen u16, d_type u8, then the
// NUL-terminated name) to dst, until dst has limit entries.
func appendDirents(dst []int, b []byte, limit int, parse func([]byte) (int, bool)) []int {
	const nameOff = 19
	for len(b) >= nameOff && len(dst) < limit {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < nameOff || reclen > len(b) {
			break
		}
		name := b[nameOff:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if v, ok := parse(name); ok {
			dst = append(dst, v)
		}
		b = b[reclen:]
	}
	return dst
}

// reapChild reaps pid, a zombie child of the calling process, with
// wait4(WNOHANG), and returns its rusage's CPU time (user + system, its
// own and that of the children it reaped) and ru_maxrss (KiB). ok is
// false when pid was not reaped (not a child, not yet exited, or reaped
// already).
func reapChild(pid int) (cpu time.Duration, maxKiB uint64, ok bool) {
	var ws unix.WaitStatus
	var ru unix.Rusage
	for {
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, &ru)
		if err == unix.EINTR {
			continue
		}
		if err != nil || got != pid {
			return 0, 0, false
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), uint64(max(ru.Maxrss, 0)), true
	}
}

// keptFDBudget is how many descriptors a Tree may keep open for the
// files of its processes: none unless procfs is the kernel's procfs
// (a fixture's files may be replaced, and must be opened afresh), else
// half the process's soft RLIMIT_NOFILE, at most three per process a walk
// visits.
func keptFDBudget(procfs string) int {
	if m, err := fsMagic(procfs); err != nil || m != procSuperMagic {
		return 0
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return int(min(lim.Cur/2, 3*maxTreeProcs))
}

// openProcFile opens the file at path (which must have spare capacity
// for a NUL) as readTreeFile does, and returns its descriptor.
func openProcFile(path []byte) (int, error) {
	f, err := openRawBytes(path)
	if err != nil {
		return -1, err
	}
	return f.fd, nil
}

// preadProc reads the file fd from offset 0 into buf. A procfs file of
// one record (stat) comes whole in one pread(2) shorter than buf; with
// all, it reads on (a children list comes a page at a time) until end of
// file or a full buffer.
func preadProc(fd int, buf []byte, all bool) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Pread(fd, buf[n:], int64(n))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m <= 0 {
			break
		}
		n += m
		if !all {
			break
		}
	}
	return n, nil
}

func closeProcFile(fd int) { _ = unix.Close(fd) }
