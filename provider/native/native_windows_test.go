//go:build windows

package native

import (
	"testing"

	"github.com/restel/restel/provider/windows"
)

// Windows has no cheap thermal source: no ThermalReader.
func TestNewWindows(t *testing.T) { checkNative[*windows.Provider](t, false) }
