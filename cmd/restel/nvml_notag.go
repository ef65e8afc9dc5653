//go:build !nvml

package main

import (
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/native"
)

// withNVML returns p: the default build reads no NVML (see nvml_tag.go).
func withNVML(p provider.SnapshotProvider, _ native.Options) provider.SnapshotProvider { return p }
