package main

import (
	"io"
	"strconv"
	"time"

	"github.com/restel/restel/provider"
)

// ANSI escape sequences (ECMA-48) used by the live table.
const (
	ansiReset   = "\x1b[0m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiRed     = "\x1b[31m"
	ansiBoldRed = "\x1b[1;31m"
	ansiClearLn = "\x1b[2K" // erase the whole line
)

// termCaps is what the terminal may be sent.
type termCaps struct {
	// colour: SGR colour sequences.
	colour bool
	// redraw: cursor movement, so each frame overwrites the previous one.
	redraw bool
}

// termCapsFrom decides the capabilities from the environment: NO_COLOR set
// to any non-empty value disables colour (https://no-color.org); TERM=dumb
// disables every escape sequence, so frames are printed one after another.
func termCapsFrom(getenv func(string) string) termCaps {
	if getenv("TERM") == "dumb" {
		return termCaps{}
	}
	return termCaps{colour: getenv("NO_COLOR") == "", redraw: true}
}

// view shows one snapshot; an error is a failed write to the output.
type view interface {
	show(s provider.Snapshot) error
}

// ndjsonView writes one snapshot per line in its wire form (docs/contract.md §2).
type ndjsonView struct {
	w   io.Writer
	buf []byte
}

func (v *ndjsonView) show(s provider.Snapshot) error {
	v.buf = append(s.AppendJSON(v.buf[:0]), '\n')
	_, err := v.w.Write(v.buf)
	return err
}

// tableView is the live table for a terminal: a fixed number of short
// lines (so narrow terminals do not wrap), redrawn in place each tick.
type tableView struct {
	w        io.Writer
	caps     termCaps
	interval time.Duration
	loc      *time.Location
	drawn    bool // a previous frame is on screen
	buf      []byte
}

// tableLines is the height of a frame.
const tableLines = 7

func (v *tableView) show(s provider.Snapshot) error {
	v.buf = v.frame(v.buf[:0], s)
	v.drawn = true
	_, err := v.w.Write(v.buf)
	return err
}

// frame appends one frame: with redraw, the cursor first moves up over the
// previous frame and each line is cleared before it is written; without,
// frames are separated by a blank line.
func (v *tableView) frame(dst []byte, s provider.Snapshot) []byte {
	if v.drawn {
		if v.caps.redraw {
			dst = append(dst, "\x1b["...)
			dst = strconv.AppendInt(dst, tableLines, 10)
			dst = append(dst, 'A')
		} else {
			dst = append(dst, '\n')
		}
	}
	line := func(label string) {
		if v.caps.redraw {
			dst = append(dst, ansiClearLn...)
		}
		dst = append(dst, label...)
	}

	line("restel watch  every ")
	dst = append(dst, v.interval.String()...)
	dst = append(dst, "  "...)
	dst = s.CapturedAt().In(v.loc).AppendFormat(dst, time.TimeOnly)
	dst = append(dst, '\n')

	line("  cpu          ")
	if c, ok := s.CPUPct.Get(); ok {
		dst = strconv.AppendFloat(dst, c, 'f', 1, 64)
		dst = append(dst, " %"...)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, '\n')

	line("  memory       ")
	dst = appendMiB(dst, s.AvailableMemMB)
	dst = append(dst, " available of "...)
	dst = appendMiB(dst, s.TotalMemMB)
	dst = append(dst, '\n')

	line("  pressure     ")
	dst = v.paint(dst, s.MemoryPressure.String(), pressureColour(s.MemoryPressure))
	dst = append(dst, '\n')

	line("  thermal      ")
	thermal := "unknown" // no sensor: "normal" on the wire, but say so here
	if s.Thermal.Known() {
		thermal = s.Thermal.String()
	}
	dst = v.paint(dst, thermal, thermalColour(s.Thermal))
	dst = append(dst, '\n')

	line("  battery      ")
	if b, ok := s.BatteryPct.Get(); ok {
		dst = strconv.AppendUint(dst, uint64(b), 10)
		dst = append(dst, " %"...)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, '\n')

	line("  restel rss   ")
	dst = appendMiB(dst, s.ProcessRSSMB)
	return append(dst, '\n')
}

func appendMiB(dst []byte, o provider.Opt[uint64]) []byte {
	if mb, ok := o.Get(); ok {
		dst = strconv.AppendUint(dst, mb, 10)
		return append(dst, " MiB"...)
	}
	return append(dst, '-')
}

// paint appends text in colour sgr (none when sgr is empty or colour is
// off).
func (v *tableView) paint(dst []byte, text, sgr string) []byte {
	if !v.caps.colour || sgr == "" {
		return append(dst, text...)
	}
	dst = append(dst, sgr...)
	dst = append(dst, text...)
	return append(dst, ansiReset...)
}

// pressureColour: normal green, warn yellow, critical red; unknown plain.
func pressureColour(p provider.MemoryPressure) string {
	switch p {
	case provider.MemoryPressureNormal:
		return ansiGreen
	case provider.MemoryPressureWarn:
		return ansiYellow
	case provider.MemoryPressureCritical:
		return ansiBoldRed
	}
	return ""
}

// thermalColour: normal green, warm yellow, hot red, critical bold red;
// unknown plain.
func thermalColour(t provider.ThermalState) string {
	switch t {
	case provider.ThermalNormal:
		return ansiGreen
	case provider.ThermalWarm:
		return ansiYellow
	case provider.ThermalHot:
		return ansiRed
	case provider.ThermalCritical:
		return ansiBoldRed
	}
	return ""
}
