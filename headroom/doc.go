// Package headroom turns device readings into the three answers an
// adaptive inference runtime needs before it starts work: how many CPUs
// the process may really use, how much memory a new model can still take,
// and how close the device is to thermal throttling, now and in the near
// future. Every figure names the constraint that binds it, so a runtime
// can log why it chose a smaller model, not only that it did.
//
// The package is pure arithmetic: it reads no file and starts no
// goroutine. Platform readers (provider/linux reads cgroup, affinity and
// thermal-zone files) supply the constraints; [Forecaster] keeps the
// per-sensor temperature history; [Gate] turns a noisy figure into a
// decision that does not flap. docs/contract.md §10 is the contract.
package headroom
