// Package procopt holds what the platform providers (provider/darwin,
// provider/windows) share, so the rules are the same on every OS: their
// construction settings (whose process is observed and which clock stamps
// the snapshots), and how a read opens and how Close ends them. Each
// platform package has its own functional option type over a [Config];
// [Apply] applies and resolves it.
package procopt

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/restel/restel/provider"
)

// Config is the configuration of a platform provider.
type Config struct {
	// PID is the observed process; 0 before resolution means the calling
	// process, and it is never 0 once resolved.
	PID int
	// Self reports whether PID is the calling process. Resolve sets it.
	Self bool
	// Clock stamps the snapshots; nil before resolution means the system
	// clock, and it is never nil once resolved.
	Clock provider.Clock
}

// Resolve validates cfg and fills in the defaults: the calling process and
// the system clock. A negative PID is an error wrapping
// provider.ErrInvalid, prefixed with the package name pkg.
func Resolve(pkg string, cfg Config) (Config, error) {
	if cfg.PID < 0 {
		return Config{}, fmt.Errorf("%s: %w: pid %d is negative", pkg, provider.ErrInvalid, cfg.PID)
	}
	self := os.Getpid()
	if cfg.PID == 0 {
		cfg.PID = self
	}
	cfg.Self = cfg.PID == self
	if cfg.Clock == nil {
		cfg.Clock = provider.SystemClock{}
	}
	return cfg, nil
}

// Apply applies opts in order to a zero Config (a nil option is skipped)
// and resolves the result with [Resolve]. O is a platform package's
// option type, func(*Config) underneath.
func Apply[O ~func(*Config)](pkg string, opts []O) (Config, error) {
	var cfg Config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return Resolve(pkg, cfg)
}

// BeginRead opens a platform provider's read: ctx's error when ctx is
// done; otherwise it locks mu and, once closed is set, unlocks it and
// returns provider.ErrClosed. On a nil error mu is held and the caller
// unlocks it.
func BeginRead(ctx context.Context, mu *sync.Mutex, closed *atomic.Bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mu.Lock()
	if closed.Load() {
		mu.Unlock()
		return provider.ErrClosed
	}
	return nil
}

// CheckRead opens a read that takes no lock (a slow signal): ctx's error
// when ctx is done, provider.ErrClosed once closed is set, else nil.
func CheckRead(ctx context.Context, closed *atomic.Bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if closed.Load() {
		return provider.ErrClosed
	}
	return nil
}

// Close sets closed and, the first time only, calls release with mu held
// (after any read in flight) and returns its error. Later calls return
// nil.
func Close(mu *sync.Mutex, closed *atomic.Bool, release func() error) error {
	if closed.Swap(true) {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	return release()
}
