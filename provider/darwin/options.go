package darwin

import (
	"github.com/restel/restel/internal/procopt"
	"github.com/restel/restel/provider"
)

// Option configures [New].
type Option func(*procopt.Config)

// WithPID sets whose resident set size and run counters are read
// (default, or 0: the calling process). Reading another user's process
// needs privileges; its fields are then unknown with an error.
func WithPID(pid int) Option { return func(c *procopt.Config) { c.PID = pid } }

// WithClock sets the clock that stamps snapshots (default, or nil: the
// system clock).
func WithClock(clk provider.Clock) Option { return func(c *procopt.Config) { c.Clock = clk } }

// resolve applies opts in order (a nil Option is skipped) and resolves the
// result: a negative pid is an error wrapping provider.ErrInvalid.
func resolve(opts []Option) (procopt.Config, error) { return procopt.Apply("darwin", opts) }
