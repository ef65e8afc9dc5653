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
	m := New(p, append([]Option{WithHost(&HostState{})}, opts...)...)
	t.Cleanup(func() { m.Close() })
	return m
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
