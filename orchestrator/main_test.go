package orchestrator

import (
	"io"
	"log/slog"
	"strings"
	"testing"

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
	if _, ok := p.(boundedProvider); ok {
		opts = append(opts, withInline)
	}
	m := New(p, append([]Option{WithHost(&HostState{})}, opts...)...)
	t.Cleanup(func() { m.Close() })
	return m
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// boundedProvider marks a provider for newMonitor as one restel vouches
// for: the monitor reads it on the caller's goroutine instead of handing
// the read off. (A Bounded method on a test type would not do: only the
// module's own providers are taken at their word.)
type boundedProvider struct{ provider.SnapshotProvider }

// withInline makes the monitor read on the caller's goroutine.
func withInline(c *config) { t := true; c.inline = &t }

// readPaths runs f once per read path: the provider as given (reads
// handed to the cache's reader goroutine) and marked Bounded (reads on
// the caller's goroutine). inline says which.
func readPaths(t *testing.T, f func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, inline bool)) {
	t.Run("handoff", func(t *testing.T) {
		f(t, func(p provider.SnapshotProvider) provider.SnapshotProvider { return p }, false)
	})
	t.Run("inline", func(t *testing.T) {
		f(t, func(p provider.SnapshotProvider) provider.SnapshotProvider { return boundedProvider{p} }, true)
	})
}
