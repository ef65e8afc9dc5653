// Package procopt holds the construction options the platform providers
// share (provider/darwin, provider/windows): whose process is observed and
// which clock stamps the snapshots. Each platform package re-exports
// [Option] under its own name and documents [WithPID] for its OS.
package procopt

import (
	"fmt"
	"os"

	"github.com/restel/restel/provider"
)

// Config is the resolved configuration of a platform provider.
type Config struct {
	// PID is the observed process, never 0 once resolved.
	PID int
	// Self reports whether PID is the calling process.
	Self bool
	// Clock stamps the snapshots, never nil once resolved.
	Clock provider.Clock
}

// Option configures a platform provider.
type Option func(*Config)

// WithPID sets the observed process; 0 is the calling process.
func WithPID(pid int) Option { return func(c *Config) { c.PID = pid } }

// WithClock sets the clock that stamps snapshots; nil is the system clock.
func WithClock(clk provider.Clock) Option { return func(c *Config) { c.Clock = clk } }

// Resolve applies opts in order (nil options are skipped) and fills in the
// defaults: the calling process and the system clock. A negative PID is an
// error wrapping provider.ErrInvalid, prefixed with the package name pkg.
func Resolve(pkg string, opts []Option) (Config, error) {
	var cfg Config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
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
