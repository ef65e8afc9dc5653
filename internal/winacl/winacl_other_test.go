//go:build !windows

package winacl

import (
	"errors"
	"path/filepath"
	"testing"
)

// Outside Windows nothing is created and every call says so.
func TestUnsupported(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	if err := Mkdir(p); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Mkdir: %v, want errors.ErrUnsupported", err)
	}
	if f, err := Create(p); f != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Create: %v, %v; want errors.ErrUnsupported", f, err)
	}
	if why, err := Unsafe(p); why != "" || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Unsafe: %q, %v; want errors.ErrUnsupported", why, err)
	}
}
