//go:build !linux

package linux

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// readAttrOnce is the portable fallback used where sysfs does not exist (so
// the package builds and its pure parsers are tested on every OS): open,
// one bounded Read, close. io.EOF is an empty read, not an error.
func readAttrOnce(path string, buf []byte) (int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if err := notRegular(fi.Mode().Type()); err != nil {
		return 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
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

// openDir opens a directory for listing; anything else is refused before
// it is opened (a named pipe's open would wait for a writer).
func openDir(dir string) (*os.File, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
	}
	return os.Open(dir)
}
