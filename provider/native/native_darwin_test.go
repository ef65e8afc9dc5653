//go:build darwin

package native

import (
	"testing"

	"github.com/restel/restel/provider/darwin"
)

func TestNewDarwin(t *testing.T) { checkNative[*darwin.Provider](t, true) }
