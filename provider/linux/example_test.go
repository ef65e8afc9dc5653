package linux_test

import (
	"context"
	"fmt"
	"time"

	"github.com/restel/restel/provider/linux"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.UnixMilli(1_764_000_000_000) }

// A Kubernetes container: the node has 64 GiB, the container's cgroup v2
// memory.max is 1.5 GiB with 1 GiB charged, 256 MiB of it inactive page
// cache, and PSI reports some memory stall (avg10 = 12.5 %).
func ExampleProvider_Snapshot() {
	p, err := linux.New(
		linux.WithProcFS("testdata/procfs-k8s"),
		linux.WithSysFS("testdata/cgroup-k8s"),
		linux.WithClock(fixedClock{}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	s, err := p.Snapshot(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("total MiB:", s.TotalMemMB.V)
	fmt.Println("available MiB:", s.AvailableMemMB.V)
	fmt.Println("pressure:", s.MemoryPressure) // 50 % free is normal; PSI raises it
	fmt.Println("cpu known:", s.CPUPct.Valid)  // no delta on a first read
	// Output:
	// total MiB: 1536
	// available MiB: 768
	// pressure: warn
	// cpu known: false
}

// The same container at a run's start: RunSnapshot adds the counters a
// run's summary is computed from. The container has its own PSI files and
// a CPU quota (cpu.max 50000 100000) that has throttled it for 4.321 s.
func ExampleProvider_RunSnapshot() {
	p, err := linux.New(
		linux.WithProcFS("testdata/procfs-k8s"),
		linux.WithSysFS("testdata/cgroup-k8s"),
		linux.WithClock(fixedClock{}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	s, err := p.RunSnapshot(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	c := s.Counters
	fmt.Println("process CPU:", c.ProcessCPU.V) // utime+stime of /proc/self/stat
	fmt.Println("RSS high-water MiB:", c.RSSHighWaterMB.V)
	fmt.Println("stalls:", c.CPUStall.V, c.MemoryStall.V, c.IOStall.V)
	fmt.Println("throttled:", c.Throttled.V)
	// Output:
	// process CPU: 19s
	// RSS high-water MiB: 600
	// stalls: 12.345678s 2.5s 750ms
	// throttled: 4.321s
}
