// Package stream is restel's channel machinery: the hot-path TTL cache, the
// sampler actor, the fan-out hub, the slow-signal poller and the local
// debug log. Every goroutine it starts has one owner whose Close waits for
// it. It depends only on the provider package.
package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/restel/restel/provider"
)

// ErrPanic wraps a panic recovered from a provider.
var ErrPanic = errors.New("provider panicked")

// SafeRead calls p.Snapshot, turning a panic into an error wrapping
// ErrPanic and an all-unknown snapshot, and stamping CapturedAtMS from clk
// when the provider left it zero. It never panics.
func SafeRead(ctx context.Context, p provider.SnapshotProvider, clk provider.Clock) (s provider.Snapshot, err error) {
	defer func() {
		if r := recover(); r != nil {
			s = provider.Unknown(clk.Now())
			err = fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	s, err = p.Snapshot(ctx)
	if s.CapturedAtMS == 0 {
		s.CapturedAtMS = clk.Now().UnixMilli()
	}
	return s, err
}
