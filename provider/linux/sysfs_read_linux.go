package linux

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// readAttrOnce opens path with openRaw (non-blocking, close-on-exec,
// regular files only: every sysfs attribute is one; a named pipe, a device
// or a directory in a foreign tree is not), issues a single read(2) into
// buf and closes it. The raw syscalls bypass the Go runtime poller, so a
// driver that has no data returns EAGAIN at once instead of parking the
// goroutine. EINTR (the runtime's preemption signal) is retried; it is not
// data.
func readAttrOnce(path string, buf []byte) (int, error) {
	f, err := openRaw(path)
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer f.close()
	var n int
	for {
		n, err = unix.Read(f.fd, buf)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return n, nil
}

// openDir opens a directory for listing: O_DIRECTORY makes the open of
// anything else (a named pipe, a device, a regular file) fail with ENOTDIR
// at once instead of opening it, and O_NONBLOCK keeps even that open from
// waiting.
func openDir(dir string) (*os.File, error) {
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
		}
		return os.NewFile(uintptr(fd), dir), nil
	}
}
