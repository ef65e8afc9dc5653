//go:build !linux

package linux

import "os"

// listFDs is the portable fallback of the Linux getdents64 shim.
func listFDs(path, _ []byte, dst []int, max int) ([]int, error) {
	ents, err := os.ReadDir(string(path))
	if err != nil {
		return dst, err
	}
	for _, e := range ents {
		if len(dst) >= max {
			break
		}
		if v, ok := fdNumber([]byte(e.Name())); ok {
			dst = append(dst, v)
		}
	}
	return dst, nil
}

// readLink is the portable fallback of the Linux readlinkat shim.
func readLink(path, buf []byte) (int, error) {
	t, err := os.Readlink(string(path))
	if err != nil {
		return 0, err
	}
	return copy(buf, t), nil
}
