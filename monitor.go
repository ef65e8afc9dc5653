package restel

import (
	"log/slog"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// The names of the common flow, so that a program needs this one import:
// the monitor and its options, modes, the snapshot and the run's summary,
// and the pipeline-stage adapter. Each is the same type or function as
// the one in the package that implements it (orchestrator, aggregate,
// provider); those packages remain for what goes beyond the common flow
// (a provider of one's own implements [provider.SnapshotProvider], as a
// database/sql driver implements database/sql/driver).
type (
	// Monitor serves live snapshots and per-run summaries from one
	// provider ([orchestrator.Monitor]).
	Monitor = orchestrator.Monitor
	// Run is one run's handle, from [Monitor.BeginRun].
	Run = orchestrator.Run
	// Option configures [New].
	Option = orchestrator.Option
	// Stats counts what a monitor's reads did.
	Stats = orchestrator.Stats
	// HostState is the platform state a mobile host pushes ([Host]).
	HostState = orchestrator.HostState

	// Mode is how much a run samples (docs/contract.md §3); the zero Mode
	// is off.
	Mode = aggregate.Mode
	// Usage is a run's summary (docs/contract.md §4).
	Usage = aggregate.Usage
	// Snapshot is one reading of the device (docs/contract.md §2).
	Snapshot = provider.Snapshot
	// MemoryPressure is a snapshot's memory pressure level.
	MemoryPressure = provider.MemoryPressure
	// ThermalState is a snapshot's thermal state.
	ThermalState = provider.ThermalState

	// Event is the telemetry event of one [Stage] call, with its summary.
	Event = orchestrator.Event
	// StageFunc is one pipeline stage.
	StageFunc[In, Out any] = orchestrator.StageFunc[In, Out]
)

// Memory pressure levels, in severity order.
const (
	MemoryPressureUnknown  = provider.MemoryPressureUnknown
	MemoryPressureNormal   = provider.MemoryPressureNormal
	MemoryPressureWarn     = provider.MemoryPressureWarn
	MemoryPressureCritical = provider.MemoryPressureCritical
)

// Thermal states in severity order.
const (
	ThermalUnknown  = provider.ThermalUnknown
	ThermalNormal   = provider.ThermalNormal
	ThermalWarm     = provider.ThermalWarm
	ThermalHot      = provider.ThermalHot
	ThermalCritical = provider.ThermalCritical
)

// EnvMode is the environment variable [ModeFromEnv] reads:
// RESTEL_RESOURCE_TELEMETRY.
const EnvMode = orchestrator.EnvMode

// Modes without an interval.
var (
	ModeOff      = aggregate.ModeOff
	ModeBoundary = aggregate.ModeBoundary
)

// SummaryEvery returns the mode that samples every d (0: the default,
// 1 s; less than 250 ms is raised to 250 ms) and summarizes.
func SummaryEvery(d time.Duration) Mode { return aggregate.SummaryEvery(d) }

// DebugLocalEvery is [SummaryEvery] that also keeps the raw samples in a
// private local file.
func DebugLocalEvery(d time.Duration) Mode { return aggregate.DebugLocalEvery(d) }

// ParseMode parses a mode's text form: off, boundary, summary or
// debug_local, optionally with :<interval> (summary:500ms).
func ParseMode(s string) (Mode, error) { return aggregate.ParseMode(s) }

// ModeFromEnv returns the mode RESTEL_RESOURCE_TELEMETRY names, or
// fallback when it is unset or empty; an invalid value is logged once
// (slog.Default) and fallback stands (docs/contract.md §3). BeginRun and
// Stage take the mode they are given: a program that lets the environment
// choose passes them ModeFromEnv(configured). [Monitor.ModeFromEnv] does
// the same through the monitor's [WithGetenv] and [WithLogger].
func ModeFromEnv(fallback Mode) Mode { return orchestrator.ModeFromEnv(fallback) }

// New returns a monitor reading p; it starts no goroutine, and a nil p
// gives all-unknown snapshots ([orchestrator.New]). Close it when done;
// the provider stays the caller's to close unless built [WithOwnProvider].
//
// New links the native providers along with this package; a program
// that wants none of them linked calls orchestrator.New.
func New(p provider.SnapshotProvider, opts ...Option) *Monitor { return orchestrator.New(p, opts...) }

// WithReadTimeout bounds how long any caller waits for a provider read
// (default 100 ms).
func WithReadTimeout(d time.Duration) Option { return orchestrator.WithReadTimeout(d) }

// WithThermalEvery sets the thermal polling cadence (default 2 s).
func WithThermalEvery(d time.Duration) Option { return orchestrator.WithThermalEvery(d) }

// WithBatteryEvery sets the battery polling cadence (default 30 s).
func WithBatteryEvery(d time.Duration) Option { return orchestrator.WithBatteryEvery(d) }

// WithDebugDir sets where DebugLocal runs write raw samples.
func WithDebugDir(dir string) Option { return orchestrator.WithDebugDir(dir) }

// WithHost merges the host-pushed state h into every snapshot; pass
// [Host]() for the process-wide one.
func WithHost(h *HostState) Option { return orchestrator.WithHost(h) }

// WithGetenv sets how [Monitor.ModeFromEnv] reads RESTEL_RESOURCE_TELEMETRY
// (default: the process environment).
func WithGetenv(f func(string) string) Option { return orchestrator.WithGetenv(f) }

// WithLogger sets where the monitor's warnings go (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return orchestrator.WithLogger(l) }

// WithOwnProvider hands the provider to the monitor: closing the monitor
// also closes the provider when it is an io.Closer.
func WithOwnProvider() Option { return orchestrator.WithOwnProvider() }

// Stage wraps f so that each call is one run of m in mode, taken as
// given, and emit (when not nil) receives the call's [Event] with its
// summary ([orchestrator.Stage]).
func Stage[In, Out any](m *Monitor, name string, mode Mode, f StageFunc[In, Out], emit func(Event)) StageFunc[In, Out] {
	return orchestrator.Stage(m, name, mode, f, emit)
}
