// Package provider is restel's shared vocabulary: the [Snapshot] of device
// resource state, its enums ([MemoryPressure], [ThermalState]), and the tiny
// [SnapshotProvider] interface that platform packages (provider/linux,
// provider/darwin, provider/windows) and test fakes (provider/fake)
// implement.
//
// The package depends on the standard library only. Absence is explicit: a
// field that could not be read is an invalid [Opt], never a zero value, and
// [MemoryPressureUnknown] / [ThermalUnknown] are the zero values of their
// enums, so the zero Snapshot is the all-unknown snapshot.
//
// Optional capabilities are discovered by type assertion, as database/sql
// does for drivers: a provider that can read slow signals (thermal state,
// battery) off the hot path implements [ThermalReader] and/or
// [BatteryReader]; one that reports run counters implements [RunReader];
// one that holds resources implements io.Closer. restel's own platform
// providers also tell the orchestrator that their reads cannot block,
// with a method whose argument only this module can name: no other
// provider can make that claim, and every other one is read on a
// goroutine of its own, bounded by the read timeout.
//
// Every enum of restel ([ThermalState], [MemoryPressure], and the mode's
// aggregate.Kind) follows one rule for its labels: String is the name a
// person reads (what %v and logs print: "unknown" for no reading, and
// Type(N) for a value no constant names); WireLabel is what the wire
// carries, and is never a label docs/contract.md does not list (a value
// no constant names, and an unknown thermal state, are written as the
// contract says: "unknown" memory pressure, "normal" thermal state).
package provider
