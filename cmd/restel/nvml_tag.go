//go:build nvml

package main

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
	"github.com/restel/restel/provider/nvml"
)

// withNVML adds the NVIDIA GPUs NVML reads to p's accelerators. Without a
// loadable NVML (no NVIDIA driver, an OS NVIDIA ships no NVML for) p is
// returned as it is. Loading NVML makes this binary dynamically linked
// on Linux (it needs the C library's dlopen); the default build leaves
// it out.
func withNVML(p provider.SnapshotProvider, o native.Options) provider.SnapshotProvider {
	opts := []nvml.Option{nvml.WithPID(o.PID)}
	if o.ProcFS != "" {
		opts = append(opts, nvml.WithProcFS(o.ProcFS))
	}
	r, err := nvml.Open(opts...)
	if err != nil {
		return p
	}
	return nvml.Wrap(p, r)
}
