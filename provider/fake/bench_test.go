package fake_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/replay"
)

func longRun(b *testing.B) ([]byte, *fake.Trace) {
	src, err := os.ReadFile(filepath.Join(scriptsDir, "long-run.trace"))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := fake.Parse("long-run.trace", bytes.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	return src, tr
}

// BenchmarkParse parses the 61-line long-run trace.
func BenchmarkParse(b *testing.B) {
	src, _ := longRun(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := fake.Parse("long-run.trace", bytes.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot is one successful read: it should not allocate.
func BenchmarkSnapshot(b *testing.B) {
	_, tr := longRun(b)
	clk := fake.NewManualClock(time.Unix(0, 0))
	p := fake.New(tr, fake.WithClock(clk))
	clk.Advance(30 * time.Second)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplayLongRun replays 60 s at 250 ms: 241 samples.
func BenchmarkReplayLongRun(b *testing.B) {
	_, tr := longRun(b)
	mode := aggregate.SummaryEvery(250 * time.Millisecond)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res, err := replay.Run(ctx, fake.NewReplay(tr), mode); err != nil || res.Summary.SampleCount != 241 {
			b.Fatalf("sample_count %d, %v", res.Summary.SampleCount, err)
		}
	}
}
