package restelotel

import (
	"context"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// limitsFlip is a monitor whose headroom names another binding limit on
// every other call.
type limitsFlip struct {
	*orchestrator.Monitor
	n int
}

func (l *limitsFlip) Headroom(time.Duration) headroom.Headroom {
	l.n++
	by := headroom.ByHost
	if l.n%2 == 0 {
		by = headroom.CgroupBy("/a")
	}
	return headroom.Headroom{EffectiveCPUs: provider.Some(2.0), CPULimitBy: by,
		UsableMemMB: provider.Some[uint64](100), MemLimitBy: by}
}

// TestCallbackAllocs: on a warm cache, the callback of a monitor, headroom
// included, allocates nothing while the binding limits stay; a limit that
// changes gets its new attribute set.
func TestCallbackAllocs(t *testing.T) {
	tr, err := fake.Parse("device.trace", strings.NewReader("@0s cpu=40 rss=100 avail=3000 total=4000 thermal=warm\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := orchestrator.New(fake.New(tr))
	defer m.Close()
	m.CurrentSnapshot(0)
	mp := sdkmetric.NewMeterProvider()
	defer mp.Shutdown(context.Background())
	c, _, err := newCollector(mp.Meter(ScopeName), m, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	o := &discard{}
	_ = c.observe(context.Background(), o)
	if a := testing.AllocsPerRun(100, func() { _ = c.observe(context.Background(), o) }); a != 0 {
		t.Errorf("the callback allocates %v times, want 0", a)
	}

	flip := &limitsFlip{Monitor: m}
	c, _, err = newCollector(mp.Meter(ScopeName), flip, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 4 {
		_ = c.observe(context.Background(), o)
		for i, l := range c.sets {
			if l.opts != nil {
				seen[c.vars[i][0].String(l.vals[0]).Value.AsString()] = true
			}
		}
	}
	if !seen[headroom.ByHost] || !seen[headroom.CgroupBy("/a")] {
		t.Errorf("attribute sets built for %v, want both limits", seen)
	}
}
