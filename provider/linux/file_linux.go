//go:build linux

package linux

import (
	"golang.org/x/sys/unix"
)

// rawFile is an open procfs/cgroupfs file re-read with pread(2) at offset 0.
// It holds the raw descriptor so a re-read is exactly one system call: no
// os.File poller, no allocation, and no second read at a non-zero offset
// (which would make the kernel's seq_file regenerate the whole file).
type rawFile struct{ fd int }

// openRaw opens path read-only, close-on-exec.
func openRaw(path string) (rawFile, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return rawFile{fd: -1}, err
		}
		return rawFile{fd: fd}, nil
	}
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
