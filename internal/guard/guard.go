// Package guard calls a provider so that nothing it does reaches the
// caller: a panic becomes an error wrapping [ErrPanic] and an all-unknown
// snapshot. Each read passes through exactly one guard.
//
// A provider that calls runtime.Goexit ends the calling goroutine; no
// recover can stop that. Callers that must outlive such a provider call
// it on a goroutine of their own and clean up in a deferred function,
// which runs on Goexit too.
package guard

import (
	"context"
	"errors"
	"fmt"

	"github.com/restel/restel/provider"
)

// ErrPanic wraps a panic recovered from a provider.
var ErrPanic = errors.New("provider panicked")

// Call calls read, turning a panic into an error wrapping ErrPanic and
// the zero T. It never panics.
func Call[T any](ctx context.Context, read func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	return read(ctx)
}

// Snapshot is Call for a provider's Snapshot or RunSnapshot: a panic gives
// the all-unknown snapshot, and CapturedAtMS is stamped from clk when the
// provider left it zero.
func Snapshot(ctx context.Context, read func(context.Context) (provider.Snapshot, error), clk provider.Clock) (provider.Snapshot, error) {
	s, err := Call(ctx, read)
	if s.CapturedAtMS == 0 {
		s.CapturedAtMS = clk.Now().UnixMilli()
	}
	return s, err
}
