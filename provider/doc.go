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
// [BatteryReader]; one whose reads cannot hang implements [Bounded], so the
// orchestrator reads it on the caller's goroutine instead of handing the
// read to a goroutine it can stop waiting for; one that holds resources
// implements io.Closer.
package provider
