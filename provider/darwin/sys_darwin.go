//go:build darwin

package darwin

import (
	"sync"

	"github.com/restel/restel/provider"
)

// nativeSys makes the real calls. The library functions it uses are
// resolved once per process (libsystem_darwin.go, iokit_darwin.go); it owns
// only the notify token of its Provider.
type nativeSys struct {
	mu     sync.Mutex
	token  int32 // notify token for thermalNotifyName
	hasTok bool
	closed bool

	// sysctl's C string and length word: owned here so that a read does
	// not allocate.
	sysMu  sync.Mutex
	cname  [64]byte
	oldlen uintptr
}

func newSys() (sys, error) { return &nativeSys{}, nil }

func (*nativeSys) cpuLoadInfo(buf []byte) (uint32, error) { return hostCPULoadInfo(buf) }

func (*nativeSys) rusage(pid, flavor int, buf []byte) error { return procPidRusage(pid, flavor, buf) }

func (*nativeSys) timebase(buf []byte) error { return machTimebaseInfo(buf) }

func (*nativeSys) appAvailableMemory() (uint64, error) { return osProcAvailableMemory() }

func (*nativeSys) powerSources() ([]powerSource, error) { return copyPowerSources() }

func (*nativeSys) accelerators() ([]ioAccelerator, error) { return copyIOAccelerators() }

// thermalLevel registers for thermalNotifyName on first use
// (notify_register_check) and reads its state (notify_get_state).
func (s *nativeSys) thermalLevel() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, provider.ErrClosed
	}
	if !s.hasTok {
		tok, err := notifyRegisterCheck(thermalNotifyName)
		if err != nil {
			return 0, err
		}
		s.token, s.hasTok = tok, true
	}
	return notifyGetState(s.token)
}

// close cancels the notify registration (notify_cancel).
func (s *nativeSys) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if !s.hasTok {
		return nil
	}
	s.hasTok = false
	return notifyCancel(s.token)
}
