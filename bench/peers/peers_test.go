//go:build linux

package peers

import (
	"context"
	"os"
	"testing"

	"github.com/restel/restel/provider/linux"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
)

// BenchmarkRestelSnapshot is one restel fast refresh: CPU %, RSS,
// available and total memory (cgroup-bounded) and memory pressure.
func BenchmarkRestelSnapshot(b *testing.B) {
	p, err := linux.New()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	for range 3 {
		p.Snapshot(ctx)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGopsutilEquivalent is the same information from gopsutil v4:
// cpu.Percent(0, false) (delta since its previous call), mem.VirtualMemory
// and the process's MemoryInfo (RSS).
func BenchmarkGopsutilEquivalent(b *testing.B) {
	proc, err := process.NewProcess(int32(os.Getpid()))
	if err != nil {
		b.Fatal(err)
	}
	step := func() {
		if _, err := cpu.Percent(0, false); err != nil {
			b.Fatal(err)
		}
		if _, err := mem.VirtualMemory(); err != nil {
			b.Fatal(err)
		}
		if _, err := proc.MemoryInfo(); err != nil {
			b.Fatal(err)
		}
	}
	for range 3 {
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// The parts of BenchmarkGopsutilEquivalent, one call each.

func BenchmarkGopsutilCPUPercent(b *testing.B) {
	cpu.Percent(0, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cpu.Percent(0, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGopsutilVirtualMemory(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mem.VirtualMemory(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGopsutilProcessRSS(b *testing.B) {
	proc, err := process.NewProcess(int32(os.Getpid()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proc.MemoryInfo(); err != nil {
			b.Fatal(err)
		}
	}
}
