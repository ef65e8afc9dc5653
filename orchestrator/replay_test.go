package orchestrator

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/fake"
)

// A replay reads the slow signals of a timeline that has them at every
// scheduled point: hiding thermal and battery behind the slow-signal
// capabilities changes nothing in the summary.
func TestReplaySlowSignals(t *testing.T) {
	files, err := filepath.Glob("../testdata/scripts/*.trace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, file := range files {
		tr, err := fake.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(250 * time.Millisecond)} {
			want := Replay(t.Context(), fake.NewReplay(tr), mode, ReplayOptions{})
			got := Replay(t.Context(), fake.NewReplay(tr, fake.WithSlowSignals()), mode, ReplayOptions{})
			if got != want {
				t.Errorf("%s %v: with slow signals\n got %s\nwant %s", filepath.Base(file), mode, got.Usage.AppendJSON(nil), want.Usage.AppendJSON(nil))
			}
		}
	}
}
