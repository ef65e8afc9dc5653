package orchestrator

import (
	"fmt"
	"sync"

	"github.com/restel/restel/provider/native"
)

var (
	defaultOnce sync.Once
	defaultMon  *Monitor
)

// Default returns the process-wide monitor, built on first use on the
// running OS's provider (native.New with the zero Options: the calling
// process on the live system) with the default options and the
// process-wide [Host] state. When the native provider cannot be built
// (no /proc, say), the monitor reports all-unknown snapshots whose read
// error names why. Building it starts no goroutine; like any monitor, its
// first read does.
//
// The default monitor lives as long as the process: closing it is allowed
// (it then serves only its last snapshot and samples no run), but a
// library should leave that to the program's exit.
func Default() *Monitor {
	defaultOnce.Do(func() {
		p, err := native.New(native.Options{})
		if err != nil {
			defaultMon = New(unknownProvider{fmt.Errorf("orchestrator: native provider: %w", err)})
			return
		}
		defaultMon = New(p)
	})
	return defaultMon
}
