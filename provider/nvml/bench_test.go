package nvml

import (
	"context"
	"testing"

	"github.com/restel/restel/provider"
)

// BenchmarkAccelerators is one read of two devices through the Go fake:
// the cost of the reader itself (the read goroutine, the deadline, the
// decoding), NVML's own time aside.
func BenchmarkAccelerators(b *testing.B) {
	r := testReader(twoGPUs(), true)
	defer r.Close()
	ctx := context.Background()
	dst := make([]provider.Accelerator, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = r.Accelerators(ctx, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
