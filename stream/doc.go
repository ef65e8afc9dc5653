// Package stream keeps a run's raw samples on local disk: a [DebugLog] is
// a DebugLocal run's private, size-bounded file in the wire shape of a
// snapshot (docs/contract.md §3), and a [DebugWriter] writes one on a
// goroutine of its own, fed by a bounded queue, so a filesystem whose
// writes block costs dropped samples, never a wait. It depends on the
// provider package only.
package stream
