package providertest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/provider/providertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// stepping moves its replay forward by step before every Snapshot, so the
// suite's reads walk through the whole trace (error spans and delays
// included) instead of reading offset 0 forever.
type stepping struct {
	*fake.Replay
	step time.Duration
}

func (s stepping) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	s.Clock().Advance(s.step)
	return s.Replay.Snapshot(ctx)
}

func TestFakeConformsOnEveryTrace(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scripts", "*.trace"))
	if err != nil || len(traces) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, path := range traces {
		tr, err := fake.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".trace")
		for _, v := range []struct {
			name string
			new  func() provider.SnapshotProvider
		}{
			{"fast", func() provider.SnapshotProvider { return stepping{fake.NewReplay(tr), 100 * time.Millisecond} }},
			{"slow-signals", func() provider.SnapshotProvider {
				return stepping{fake.NewReplay(tr, fake.WithSlowSignals()), 100 * time.Millisecond}
			}},
			// Without the optional capabilities: only Snapshot is visible.
			{"snapshot-only", func() provider.SnapshotProvider {
				return provider.Func(stepping{fake.NewReplay(tr), 250 * time.Millisecond}.Snapshot)
			}},
		} {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				providertest.Run(t, func(*testing.T) provider.SnapshotProvider { return v.new() })
			})
		}
	}
}

// TestFakeConformsOnSystemClock runs a trace without delays on the real
// clock, as a live provider would be.
func TestFakeConformsOnSystemClock(t *testing.T) {
	tr, err := fake.Parse("live.trace", strings.NewReader("@0s cpu=3 rss=10 avail=100 total=200 thermal=warm battery=9 pressure=warn\n@1ms error=flaky\n@2ms cpu=-\n"))
	if err != nil {
		t.Fatal(err)
	}
	providertest.Run(t, func(*testing.T) provider.SnapshotProvider { return fake.New(tr) })
}

// closingProvider is a provider holding a resource: after Close, reads fail
// with provider.ErrClosed.
type closingProvider struct {
	*fake.Provider
	mu     sync.Mutex
	closed int
}

func (c *closingProvider) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed++
	return nil
}

func (c *closingProvider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	c.mu.Lock()
	closed := c.closed > 0
	c.mu.Unlock()
	if closed {
		return provider.Snapshot{}, fmt.Errorf("closing: %w", provider.ErrClosed)
	}
	return c.Provider.Snapshot(ctx)
}

func TestCloserConforms(t *testing.T) {
	tr, err := fake.Parse("c.trace", strings.NewReader("@0s cpu=50 avail=1 total=100 battery=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	var made []*closingProvider
	t.Run("suite", func(t *testing.T) {
		providertest.Run(t, func(*testing.T) provider.SnapshotProvider {
			p := &closingProvider{Provider: fake.New(tr, fake.WithClock(fake.NewManualClock(time.Unix(100, 0))))}
			made = append(made, p)
			return p
		})
	})
	// Every subtest's provider was closed: once by the suite's cleanup,
	// twice by the Close subtest.
	for i, p := range made {
		if p.closed == 0 {
			t.Errorf("provider %d was never closed", i)
		}
	}
}
