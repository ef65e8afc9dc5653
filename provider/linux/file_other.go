//go:build !linux

package linux

import (
	"errors"
	"io"
	"os"
	"time"
)

// rawFile is the portable fallback of the Linux pread shim: an *os.File
// re-read with ReadAt at offset 0. It lets the parsers and the refresh
// logic run against fixture trees on every GOOS.
type rawFile struct{ f *os.File }

// openRaw opens path only if it is a regular file: it is checked before the
// open (so a named pipe is never opened: the open would wait for a writer)
// and again after it.
func openRaw(path string) (rawFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return rawFile{}, err
	}
	if err := notRegular(fi.Mode().Type()); err != nil {
		return rawFile{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return rawFile{}, err
	}
	if fi, err = f.Stat(); err != nil || notRegular(fi.Mode().Type()) != nil {
		f.Close()
		if err == nil {
			err = notRegular(fi.Mode().Type())
		}
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

// userHZ is Linux's USER_HZ, the unit of procfs tick counters, on every
// architecture; off Linux the fixture trees use it too.
func userHZ() uint64 { return 100 }

// selfCPU is unavailable off Linux: /proc/<pid>/stat is read instead.
func selfCPU() (time.Duration, bool) { return 0, false }
