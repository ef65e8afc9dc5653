// Package restel is the one import of the common flow: the process-wide
// monitor on the running OS's native provider ([Default], [SetDefault]),
// a monitor on a provider of one's own ([New]), runs and their modes
// ([Monitor.BeginRun], [Mode], [ModeFromEnv]), the snapshot and the
// run's summary ([Snapshot], [Usage]), the pipeline-stage adapter
// ([Stage]) and the host-pushed platform state mobile hosts write
// ([Host]). Its types are those of the packages that implement them
// (orchestrator, aggregate, provider), under the same names; package
// provider stays the interface a device provider implements.
//
// It links the platform providers into a program; a program that builds
// its monitor with orchestrator.New on a provider of its own links none
// of them.
//
// Device resource telemetry around AI-inference runs: a hot-path cached
// snapshot (CPU, memory, memory pressure, process RSS, thermal, battery)
// and a per-run usage summary (docs/contract.md).
package restel

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
)

var (
	host  orchestrator.HostState
	def   atomic.Pointer[orchestrator.Monitor]
	defMu sync.Mutex // serializes building the default
)

// Host returns the process-wide host-pushed state: what mobile hosts push
// battery and thermal readings into, merged by the [Default] monitor and
// by any monitor built WithHost(Host()).
func Host() *HostState { return &host }

// Default returns the process-wide monitor, built on first use on the
// running OS's provider (native.New with the zero Options: the calling
// process on the live system) with the default options and the
// process-wide [Host] state. When the native provider cannot be built (an
// unsupported OS, no /proc), the monitor reports all-unknown snapshots.
// Building it starts no goroutine; like any monitor, its first read does.
//
// The monitor Default builds owns the native provider under it: closing
// the monitor closes the provider's files too.
//
// The default monitor is meant to live as long as the process, and a
// library should leave closing it to the program's exit. Closing it is
// allowed (a program stopping every goroutine, a test): the next Default
// then builds a fresh one, as after SetDefault(nil), so Default never
// returns a closed monitor. A pointer kept from before the Close stays
// closed, as any closed monitor: it serves its last snapshot, ageing, and
// samples no run (Finish reports false).
func Default() *Monitor {
	if m := def.Load(); m != nil && !m.Closed() {
		return m
	}
	defMu.Lock()
	defer defMu.Unlock()
	if m := def.Load(); m != nil && !m.Closed() {
		return m
	}
	var p provider.SnapshotProvider
	if np, err := native.New(native.Options{}); err == nil {
		p = np
	} else {
		p = orchestrator.Unavailable(fmt.Errorf("restel: native provider: %w", err))
	}
	m := orchestrator.New(p, orchestrator.WithHost(&host), orchestrator.WithOwnProvider())
	def.Store(m)
	return m
}

// SetDefault makes m the process-wide monitor and returns the previous
// one (nil if none was built), which the caller should close when nothing
// uses it any more: closing one that Default built also closes its native
// provider, and nothing else will. It is for a
// host that brings its own provider (a mobile app reading the platform
// through its own bridge, a test): build the monitor WithHost(Host()) so
// pushed values keep showing. A nil m makes the next Default build the
// native one again; so does closing m.
func SetDefault(m *Monitor) *Monitor {
	defMu.Lock()
	defer defMu.Unlock()
	return def.Swap(m)
}
