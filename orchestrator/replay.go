package orchestrator

import (
	"context"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/replay"
)

// Timeline is [replay.Timeline].
//
// Deprecated: use [replay.Timeline].
type Timeline = replay.Timeline

// ReplayOption is [replay.Option].
//
// Deprecated: use [replay.Option].
type ReplayOption = replay.Option

// ReplayResult is [replay.Result].
//
// Deprecated: use [replay.Result].
type ReplayResult = replay.Result

// ReplayDebugDir is [replay.WithDebugDir].
//
// Deprecated: use [replay.WithDebugDir].
func ReplayDebugDir(dir string) ReplayOption { return replay.WithDebugDir(dir) }

// Replay is [replay.Run].
//
// Deprecated: use [replay.Run].
func Replay(ctx context.Context, tl Timeline, mode aggregate.Mode, opts ...ReplayOption) (ReplayResult, error) {
	return replay.Run(ctx, tl, mode, opts...)
}
