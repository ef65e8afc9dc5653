//go:build !windows

package windows

import (
	"errors"
	"fmt"
)

func newSys(int) (sys, error) {
	return nil, fmt.Errorf("windows: provider needs Windows: %w", errors.ErrUnsupported)
}
