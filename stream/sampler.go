package stream

import (
	"context"
	"time"

	"github.com/restel/restel/provider"
)

// Sampler is an actor that reads a snapshot every Interval and publishes it
// on Hub. It is a plain value; [Sampler.Run] is its body, run on a
// goroutine that its owner starts and waits for (oklog/run style: the
// owner's context cancellation is the interrupt).
type Sampler struct {
	// Interval is the tick period; it must be positive.
	Interval time.Duration
	// Read returns one sample. It must be bounded in time and must not
	// panic; a [Cache]'s forced read (Get(0)) is both.
	Read func(context.Context) provider.Snapshot
	// Hub receives every sample.
	Hub *Hub
}

// Run ticks at k·Interval after it starts (k >= 1) until ctx is done,
// reading and publishing one sample per tick. A tick that comes while a
// read is still running is skipped, as time.Ticker drops ticks for slow
// receivers. Run returns when ctx is done, without publishing a sample
// read after that.
func (s Sampler) Run(ctx context.Context) {
	if s.Interval <= 0 || s.Read == nil || s.Hub == nil {
		return
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		snap := s.Read(ctx)
		if ctx.Err() != nil {
			return
		}
		s.Hub.Publish(snap)
	}
}
