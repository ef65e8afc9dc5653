package darwin

import (
	"testing"

	"github.com/restel/restel/internal/platformtest"
)

func TestResolveOptions(t *testing.T) { platformtest.Options(t, resolve, WithPID, WithClock) }
