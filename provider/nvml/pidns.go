package nvml

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/restel/restel/provider"
)

// initPIDNamespaceInode is PROC_PID_INIT_INO (include/linux/proc_ns.h):
// the fixed inode number of the kernel's initial PID namespace, which
// <procfs>/<pid>/ns/pid links to as "pid:[4026531836]".
const initPIDNamespaceInode = 0xEFFFFFFC

// hostPIDNamespace decides, from the target of <procfs>/self/ns/pid and
// the content of <procfs>/self/status, whether this process sees the
// host's PIDs — the ones NVML reports. It does when both hold:
//
//   - its PID namespace is the initial one (the link names inode
//     PROC_PID_INIT_INO), and
//   - the NSpid line of its status, where the kernel has one (4.1 and
//     later), has a single PID: the process has no PID in a nested
//     namespace.
//
// Comparing with /proc/1/ns/pid, or counting NSpid alone, is not enough:
// in a container with its own procfs, PID 1 is the container's init and
// NSpid lists the container's PID only. A link that does not read
// "pid:[N]" is an error wrapping provider.ErrInvalid.
func hostPIDNamespace(link string, status []byte) (bool, error) {
	num, ok := strings.CutPrefix(link, "pid:[")
	if ok {
		num, ok = strings.CutSuffix(num, "]")
	}
	ino, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil {
		return false, fmt.Errorf("nvml: %w: ns/pid link %q (want pid:[inode])", provider.ErrInvalid, link)
	}
	if ino != initPIDNamespaceInode {
		return false, nil
	}
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte("NSpid:")); ok {
			return len(bytes.Fields(rest)) == 1, nil
		}
	}
	return true, nil
}

// maxStatusBytes bounds the read of <procfs>/self/status (a few KiB).
const maxStatusBytes = 64 << 10

// readHostPIDNamespace reads <procfs>/self/ns/pid and <procfs>/self/status
// and applies hostPIDNamespace. An unreadable file is an error; the caller
// then treats the PIDs as unmappable.
func readHostPIDNamespace(procfs string) (bool, error) {
	self := filepath.Join(procfs, "self")
	link, err := os.Readlink(filepath.Join(self, "ns", "pid"))
	if err != nil {
		return false, fmt.Errorf("nvml: %w: %w", provider.ErrUnavailable, err)
	}
	f, err := os.Open(filepath.Join(self, "status"))
	if err != nil {
		return false, fmt.Errorf("nvml: %w: %w", provider.ErrUnavailable, err)
	}
	defer f.Close()
	status, err := io.ReadAll(io.LimitReader(f, maxStatusBytes))
	if err != nil {
		return false, fmt.Errorf("nvml: %w: %w", provider.ErrUnavailable, err)
	}
	return hostPIDNamespace(link, status)
}
