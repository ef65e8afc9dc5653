package orchestrator

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// trace parses an inline trace or fails the test.
func trace(t testing.TB, src string) *fake.Trace {
	t.Helper()
	tr, err := fake.Parse(t.Name(), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// newMonitor returns a monitor with its own host state (tests never touch
// the process-wide one unless they mean to), closed at the end of the test.
func newMonitor(t testing.TB, p provider.SnapshotProvider, opts ...Option) *Monitor {
	t.Helper()
	m := New(p, append([]Option{WithHost(&HostState{})}, opts...)...)
	t.Cleanup(func() { m.Close() })
	return m
}

// funcProvider counts reads of a function provider.
type funcProvider struct {
	n atomic.Int64
	f func(ctx context.Context, n int64) (provider.Snapshot, error)
}

func (p *funcProvider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.f(ctx, p.n.Add(1))
}

// hangs returns a provider whose every read hangs for minutes, unless its
// context ends first.
func hangs() *funcProvider {
	return &funcProvider{f: func(ctx context.Context, _ int64) (provider.Snapshot, error) {
		select {
		case <-time.After(10 * time.Minute):
			return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
		case <-ctx.Done():
			return provider.Unknown(time.Now()), ctx.Err()
		}
	}}
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
