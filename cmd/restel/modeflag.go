package main

import (
	"strings"
	"time"

	"github.com/restel/restel/aggregate"
)

// modeFlag is a --mode flag: the mode as aggregate.ParseMode reads it,
// remembering an interval given below the minimum, which ParseMode clamps
// up, so the command can say so once (as watch does for --interval).
type modeFlag struct {
	mode      *aggregate.Mode
	requested time.Duration // the interval given, when clamped
	to        time.Duration // what it was clamped to
	clamped   bool
}

func (f *modeFlag) String() string {
	if f == nil || f.mode == nil {
		return ""
	}
	return f.mode.String()
}

func (f *modeFlag) Set(s string) error {
	m, err := aggregate.ParseMode(s)
	if err != nil {
		return err
	}
	*f.mode, f.clamped = m, false
	if _, dur, ok := strings.Cut(strings.TrimSpace(s), ":"); ok {
		if d, err := time.ParseDuration(dur); err == nil && d < aggregate.MinInterval {
			f.clamped, f.requested, f.to = true, d, m.Interval
		}
	}
	return nil
}

// noteClamped says on stderr, once, that the --mode interval was raised
// to the minimum.
func (f *modeFlag) noteClamped(e env, cmd string) {
	if f.clamped {
		note(e, "%s: --mode interval %v is below the minimum, clamped to %v", cmd, f.requested, f.to)
	}
}
