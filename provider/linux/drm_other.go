//go:build !linux

package linux

import "os"

// listFDs is listTreeDir for descriptor numbers.
func listFDs(path, dbuf []byte, dst []int, max int) ([]int, error) {
	return listNumbered(path, dbuf, dst, max, fdNumber)
}

// readLink is the portable fallback of the Linux readlinkat shim.
func readLink(path, buf []byte) (int, error) {
	t, err := os.Readlink(string(path))
	if err != nil {
		return 0, err
	}
	return copy(buf, t), nil
}
