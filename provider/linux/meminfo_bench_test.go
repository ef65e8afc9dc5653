package linux

import (
	"os"
	"testing"
)

// BenchmarkProcMeminfo parses this machine's /proc/meminfo (every line is
// scanned, so a repeated key is seen wherever it is).
func BenchmarkProcMeminfo(b *testing.B) {
	mem, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		b.Skip("no /proc/meminfo")
	}
	b.ReportAllocs()
	for b.Loop() {
		procMeminfo(mem)
	}
}
