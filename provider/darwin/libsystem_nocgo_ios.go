//go:build ios && !cgo

package darwin

// purego refuses to build for iOS without cgo, so a CGO_ENABLED=0 iOS build
// (which can type-check but not link) has no libSystem calls: CPU, RSS,
// the run counters and thermal are unsupported there, memory still comes from sysctls.

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/restel/restel/provider"
)

// sysctl reads sysctlbyname(name) through golang.org/x/sys/unix.
func (*nativeSys) sysctl(name string, buf []byte) (int, error) {
	b, err := unix.SysctlRaw(name)
	if err != nil {
		return 0, err
	}
	if len(b) > len(buf) {
		return 0, fmt.Errorf("%w: %d-byte value, buffer of %d", provider.ErrInvalid, len(b), len(buf))
	}
	return copy(buf, b), nil
}

func hostCPULoadInfo([]byte) (uint32, error)    { return 0, errNoPurego }
func procPidRusage(int, int, []byte) error      { return errNoPurego }
func machTimebaseInfo([]byte) error             { return errNoPurego }
func notifyRegisterCheck(string) (int32, error) { return 0, errNoPurego }
func notifyGetState(int32) (uint64, error)      { return 0, errNoPurego }
func notifyCancel(int32) error                  { return errNoPurego }
func osProcAvailableMemory() (uint64, error)    { return 0, errNoPurego }
