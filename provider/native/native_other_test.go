//go:build !linux && !darwin && !windows

package native

import (
	"errors"
	"testing"
)

func TestNewUnsupported(t *testing.T) {
	p, err := New(Options{})
	if p != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("New = %v, %v; want nil, ErrUnsupported", p, err)
	}
}
