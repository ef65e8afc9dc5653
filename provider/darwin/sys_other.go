//go:build !darwin

package darwin

import (
	"errors"
	"fmt"
)

func newSys() (sys, error) {
	return nil, fmt.Errorf("darwin: provider needs macOS or iOS: %w", errors.ErrUnsupported)
}
