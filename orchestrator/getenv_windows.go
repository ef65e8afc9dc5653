//go:build windows

package orchestrator

import (
	"os"
	"sync"
	"unicode/utf16"

	win "golang.org/x/sys/windows"
)

// defaultGetenv reads the process environment as os.Getenv does. On
// Windows os.Getenv converts the name to UTF-16 and reads into a fresh
// buffer on every call: two allocations that every BeginRun, even an Off
// one, would pay for the RESTEL_RESOURCE_TELEMETRY look-up. That variable
// is read here with its name converted once and into a kept buffer, and
// its value string is made again only when the value changes.
func defaultGetenv(key string) string {
	if key != EnvMode {
		return os.Getenv(key)
	}
	return modeEnv.get()
}

var modeEnv = envReader{name: win.StringToUTF16Ptr(EnvMode)}

// envReader reads one environment variable without allocating while its
// value stays the same.
type envReader struct {
	name *uint16
	mu   sync.Mutex // guards buf and last: BeginRun calls it from any goroutine
	buf  [128]uint16
	last string
}

func (r *envReader) get() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := win.GetEnvironmentVariable(r.name, &r.buf[0], uint32(len(r.buf)))
	switch {
	case err != nil || n == 0: // unset (ERROR_ENVVAR_NOT_FOUND) or empty
		return ""
	case int(n) >= len(r.buf): // too long for buf: n is the size it needs
		r.last = os.Getenv(EnvMode)
		return r.last
	}
	if v := r.buf[:n]; !equalUTF16(v, r.last) {
		r.last = string(utf16.Decode(v))
	}
	return r.last
}

// equalUTF16 reports whether u is s in UTF-16, without allocating.
func equalUTF16(u []uint16, s string) bool {
	i := 0
	for _, c := range s {
		var a [2]uint16
		for _, x := range utf16.AppendRune(a[:0], c) {
			if i >= len(u) || u[i] != x {
				return false
			}
			i++
		}
	}
	return i == len(u)
}
