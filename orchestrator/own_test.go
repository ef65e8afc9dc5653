package orchestrator

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/restel/restel/provider"
)

// closingProvider counts its Close calls; block, when set, holds Close
// until it is closed.
type closingProvider struct {
	closes int
	block  chan struct{}
}

func (p *closingProvider) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{}, nil
}

func (p *closingProvider) Close() error {
	p.closes++
	if p.block != nil {
		<-p.block
	}
	return nil
}

// Whoever builds a provider closes it: a monitor closes its provider only
// when built WithOwnProvider, and never waits past the read timeout for a
// Close that does not return.
func TestMonitorClosesOnlyAnOwnedProvider(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []Option
		block     bool
		closes    int
		abandoned uint64
	}{
		{"caller's", nil, false, 0, 0},
		{"owned", []Option{WithOwnProvider()}, false, 1, 0},
		{"owned, Close hangs", []Option{WithOwnProvider()}, true, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &closingProvider{}
				if tc.block {
					p.block = make(chan struct{})
				}
				m := New(p, append([]Option{WithHost(&HostState{})}, tc.opts...)...)
				m.CurrentSnapshot(0)
				m.Close()
				m.Close() // a second Close closes nothing more
				synctest.Wait()
				if p.closes != tc.closes {
					t.Errorf("provider closed %d times, want %d", p.closes, tc.closes)
				}
				if got := m.Stats().Abandoned; got != tc.abandoned {
					t.Errorf("Abandoned %d, want %d", got, tc.abandoned)
				}
				if p.block != nil {
					close(p.block)
				}
			})
		})
	}
}
