package linux

import (
	"fmt"
	"io/fs"

	"github.com/restel/restel/provider"
)

// attrReader reads one sysfs attribute (a whole small file) and returns its
// bytes. sysfsSignals reads every attribute through one, so tests inject
// faults (EAGAIN, ENODATA, vanishing files) per path.
type attrReader func(path string) ([]byte, error)

// maxAttrBytes bounds one attribute read. The kernel formats a sysfs
// attribute into a single page (sysfs_emit, Documentation/filesystems/sysfs.rst),
// so 4 KiB holds every attribute restel reads.
const maxAttrBytes = 4096

// sysfsMagic is SYSFS_MAGIC, the statfs(2) f_type of the live sysfs.
const sysfsMagic = 0x62656572

// readAttr is the default attrReader: ONE bounded, non-blocking read, as
// prometheus/procfs internal/util/sysreadfile.go does. The file is opened
// O_RDONLY|O_NONBLOCK and read once (never io.ReadAll): broken hwmon and
// embedded-controller drivers return EAGAIN forever or block, and telemetry
// must not hang on them.
//
// Errors wrap the platform error with %w inside an *fs.PathError, so
// errors.Is(err, syscall.EAGAIN), syscall.ENODATA, syscall.EINVAL,
// syscall.EIO, syscall.ENODEV, fs.ErrNotExist and fs.ErrPermission classify
// them. An empty read, a file that fills the buffer (no attribute restel
// reads is that long: a foreign tree's huge or endless file) and one that
// is not a regular file are errors wrapping [provider.ErrInvalid].
func readAttr(path string) ([]byte, error) {
	var buf [maxAttrBytes]byte
	n, err := readAttrOnce(path, buf[:])
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: %s: empty attribute", provider.ErrInvalid, path)
	}
	if n >= len(buf) {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errAttrTooLarge}
	}
	out := make([]byte, n)
	copy(out, buf[:n])
	return out, nil
}
