package linux

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// readAttrOnce opens path O_RDONLY|O_NONBLOCK|O_CLOEXEC with open(2), issues a
// single read(2) into buf and closes it. The raw syscalls bypass the Go
// runtime poller, so a driver that has no data returns EAGAIN at once instead
// of parking the goroutine. EINTR (the runtime's preemption signal) is
// retried; it is not data.
func readAttrOnce(path string, buf []byte) (int, error) {
	var (
		fd  int
		err error
	)
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var n int
	for {
		n, err = unix.Read(fd, buf)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return n, nil
}
