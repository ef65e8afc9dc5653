//go:build !linux

package linux

import (
	"errors"
	"io"
	"os"
)

// readAttrOnce is the portable fallback used where sysfs does not exist (so
// the package builds and its pure parsers are tested on every OS): open,
// one bounded Read, close. io.EOF is an empty read, not an error.
func readAttrOnce(path string, buf []byte) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := f.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	return n, nil
}
