//go:build linux

package linux

import (
	"bytes"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawFile is an open procfs/cgroupfs file re-read with pread(2) at offset 0.
// It holds the raw descriptor so a re-read is exactly one system call: no
// os.File poller, no allocation, and no second read at a non-zero offset
// (which would make the kernel's seq_file regenerate the whole file).
type rawFile struct{ fd int }

// openRaw opens path read-only, non-blocking and close-on-exec, and keeps
// it only if it is a regular file (fstat(2) after the open). Every procfs,
// cgroupfs and sysfs file restel reads is one; a named pipe, a device (a
// symlink to /dev/zero), a directory or a socket planted in a foreign root
// is refused with an error wrapping errNotRegular. O_NONBLOCK makes the
// open of a named pipe without a writer return at once instead of waiting
// for one, and O_NOCTTY keeps a terminal from becoming restel's
// controlling terminal. It is the package's one way to open a file it
// reads (openRawBytes is the same for a path held in bytes).
func openRaw(path string) (rawFile, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return rawFile{fd: -1}, err
	}
	return openRegular(p)
}

// openRawBytes is openRaw for a path in a byte slice with spare capacity
// for the terminating NUL (which it writes there), so a caller that
// builds paths in a reused buffer opens them without allocating.
func openRawBytes(path []byte) (rawFile, error) {
	p := append(path[:len(path):cap(path)], 0)
	if i := bytes.IndexByte(p, 0); i != len(p)-1 {
		return rawFile{fd: -1}, unix.EINVAL // a NUL inside the path
	}
	return openRegular(&p[0])
}

// atFDCWD is AT_FDCWD (-100) as a system call argument.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

// openRegular opens the NUL-terminated path at p as openRaw describes.
func openRegular(p *byte) (rawFile, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)),
			uintptr(unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_LARGEFILE), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return rawFile{fd: -1}, e
		}
		fd := int(r)
		if err := checkRegularFD(fd); err != nil {
			unix.Close(fd)
			return rawFile{fd: -1}, err
		}
		return rawFile{fd: fd}, nil
	}
}

// checkRegularFD returns nil when fd is a regular file, else the error
// naming what it is.
func checkRegularFD(fd int) error {
	var st unix.Stat_t
	for {
		err := unix.Fstat(fd, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		return notRegular(modeKind(st.Mode))
	}
}

// modeKind maps a stat(2) st_mode to the os.FileMode type bits.
func modeKind(mode uint32) os.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return 0
	case unix.S_IFDIR:
		return os.ModeDir
	case unix.S_IFIFO:
		return os.ModeNamedPipe
	case unix.S_IFCHR:
		return os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		return os.ModeDevice
	case unix.S_IFSOCK:
		return os.ModeSocket
	}
	return os.ModeIrregular
}

// pread reads from offset 0 into buf with one pread(2).
func (f rawFile) pread(buf []byte) (int, error) {
	for {
		n, err := unix.Pread(f.fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// readFull reads from the current offset into buf until end of file or a
// full buffer (a file that fills it may have more), with read(2) calls
// retried on EINTR, and returns the byte count.
func (f rawFile) readFull(buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(f.fd, buf[n:])
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
	}
	return n, nil
}

func (f rawFile) close() error { return unix.Close(f.fd) }

// fsMagic returns the magic number of the file system holding path
// (statfs(2) f_type).
func fsMagic(path string) (int64, error) {
	var st unix.Statfs_t
	for {
		err := unix.Statfs(path, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return int64(st.Type), nil
	}
}

// userHZ is the unit of the tick counters of /proc/stat and
// /proc/<pid>/stat (USER_HZ, sysconf(_SC_CLK_TCK)): the kernel hands it to
// every process in the auxiliary vector as AT_CLKTCK. It is 100 on every
// architecture Linux supports today; 100 is also the fallback.
func userHZ() uint64 {
	const atClkTck = 17 // AT_CLKTCK, include/uapi/linux/auxvec.h
	if auxv, err := unix.Auxv(); err == nil {
		for _, kv := range auxv {
			if kv[0] == atClkTck && kv[1] > 0 {
				return uint64(kv[1])
			}
		}
	}
	return 100
}

// selfCPU returns the calling process's CPU time, user plus system, from
// getrusage(RUSAGE_SELF).
func selfCPU() (time.Duration, bool) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, cpu >= 0
}
