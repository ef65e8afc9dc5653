//go:build !linux

package linux

import (
	"errors"
	"io"
	"os"
	"time"
)

// The portable fallback of the tree reader's file access, so the walk and
// its parsers run against fixture trees on every GOOS.

func readTreeFile(path, buf []byte) (int, error) {
	f, err := openRaw(string(path))
	if err != nil {
		return 0, err
	}
	defer f.close()
	n, err := io.ReadFull(f.f, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

func listTreeDir(path, dbuf []byte, dst []int, max int) ([]int, error) {
	return listNumbered(path, dbuf, dst, max, pidNumber)
}

func listNumbered(path, _ []byte, dst []int, max int, parse func([]byte) (int, bool)) ([]int, error) {
	ents, err := os.ReadDir(string(path))
	if err != nil {
		return dst, err
	}
	start := len(dst)
	for _, e := range ents {
		if len(dst)-start >= max {
			break
		}
		if v, ok := parse([]byte(e.Name())); ok {
			dst = append(dst, v)
		}
	}
	return dst, nil
}

// reapChild reaps nothing off Linux: no process there is adopted.
func reapChild(int) (time.Duration, uint64, bool) { return 0, 0, false }

// keptFDBudget is 0 off Linux: a Tree opens its files afresh every walk
// (and so never calls the three below).
func keptFDBudget(string) int { return 0 }

func openProcFile([]byte) (int, error)         { return -1, errors.ErrUnsupported }
func preadProc(int, []byte, bool) (int, error) { return 0, errors.ErrUnsupported }
func closeProcFile(int)                        {}
