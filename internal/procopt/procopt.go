// Package procopt resolves the construction settings the platform
// providers share (provider/darwin, provider/windows): whose process is
// observed and which clock stamps the snapshots. Each platform package
// has its own functional option type that sets a [Config]; this package
// only validates it and fills in the defaults, so the rules are the same
// on every OS.
package procopt

import (
	"fmt"
	"os"

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
