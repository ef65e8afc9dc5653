package main

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
)

// openProvider opens the native provider of this OS. A binary built with
// the nvml tag adds NVIDIA GPUs read through NVML (nvml_tag.go); the
// default build does not, and stays statically linked on Linux.
func openProvider(o native.Options) (provider.SnapshotProvider, error) {
	p, err := native.New(o)
	if err != nil {
		return p, err
	}
	return withNVML(p, o), nil
}
