//go:build !linux

package linux

import (
	"errors"
	"io"
	"os"
)

// rawFile is the portable fallback of the Linux pread shim: an *os.File
// re-read with ReadAt at offset 0. It lets the parsers and the refresh
// logic run against fixture trees on every GOOS.
type rawFile struct{ f *os.File }

func openRaw(path string) (rawFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return rawFile{}, err
	}
	return rawFile{f: f}, nil
}

func (f rawFile) pread(buf []byte) (int, error) {
	n, err := f.f.ReadAt(buf, 0)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func (f rawFile) close() error { return f.f.Close() }

// fsMagic has no portable equivalent: off Linux no file system is known to
// be a kernel pseudo file system, so a Provider there is never Bounded.
func fsMagic(string) (int64, error) { return 0, errors.ErrUnsupported }
