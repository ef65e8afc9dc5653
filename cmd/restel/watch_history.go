package main

import (
	"time"
	"unicode/utf8"
)

// The live table's pure parts: a short history per signal drawn as a
// sparkline, fitting lines to the terminal's width, and the keys that
// quit. Terminal I/O lives in the OS-tagged files.

// historyWindow is how far back the sparklines reach.
const historyWindow = time.Minute

// historyLen returns how many samples at interval span historyWindow
// (at least 1).
func historyLen(interval time.Duration) int {
	if interval <= 0 {
		return 1
	}
	return max(1, int((historyWindow+interval-1)/interval))
}

// history is a fixed-size ring of the last samples of one signal; a
// sample may be unknown.
type history struct {
	vals  []float64
	known []bool
	next  int // index the next push writes
	n     int // samples held, up to len(vals)
}

func newHistory(size int) *history {
	size = max(size, 1)
	return &history{vals: make([]float64, size), known: make([]bool, size)}
}

// push records one sample, dropping the oldest when full.
func (h *history) push(v float64, ok bool) {
	h.vals[h.next], h.known[h.next] = v, ok
	h.next = (h.next + 1) % len(h.vals)
	h.n = min(h.n+1, len(h.vals))
}

// len returns how many samples are held.
func (h *history) len() int { return h.n }

// at returns the i-th held sample, 0 the oldest.
func (h *history) at(i int) (float64, bool) {
	j := (h.next - h.n + i + len(h.vals)) % len(h.vals)
	return h.vals[j], h.known[j]
}

// bounds returns the smallest and largest known sample of the newest
// last samples; ok is false when none is known.
func (h *history) bounds(last int) (lo, hi float64, ok bool) {
	for i := max(h.n-last, 0); i < h.n; i++ {
		v, k := h.at(i)
		if !k {
			continue
		}
		if !ok {
			lo, hi, ok = v, v, true
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, ok
}

// sparkBars are the eight levels of a sparkline, lowest first.
var sparkBars = [8]rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// sparkLevel maps v onto the eight levels of the scale [lo, hi]: lo and
// below is the lowest bar, hi and above the highest. An empty or inverted
// scale (hi <= lo) draws the middle bar; NaN draws the lowest.
func sparkLevel(v, lo, hi float64) int {
	if !(hi > lo) {
		return 3
	}
	if !(v > lo) { // also NaN
		return 0
	}
	if v >= hi {
		return 7
	}
	return min(7, int((v-lo)/(hi-lo)*8))
}

// appendSparkline appends the newest width samples of h (fewer if h holds
// fewer) as a sparkline on the scale [lo, hi], oldest left; an unknown
// sample is a space.
func appendSparkline(dst []byte, h *history, width int, lo, hi float64) []byte {
	for i := max(h.n-width, 0); i < h.n; i++ {
		v, ok := h.at(i)
		if !ok {
			dst = append(dst, ' ')
			continue
		}
		dst = utf8.AppendRune(dst, sparkBars[sparkLevel(v, lo, hi)])
	}
	return dst
}

// fitWidth truncates the line line[start:] of dst to at most cols
// terminal columns and returns dst. Every rune counts as one column;
// escape sequences (CSI: ESC [ ... final byte) count as none and are
// never cut in half; a multi-byte rune is never split. When text is cut
// after an SGR sequence, a reset (ESC [ 0 m) is appended so colour does
// not leak. cols <= 0 means no limit.
func fitWidth(dst []byte, start, cols int) []byte {
	if cols <= 0 {
		return dst
	}
	line := dst[start:]
	width, sgr := 0, false
	for i := 0; i < len(line); {
		if line[i] == 0x1b {
			end := csiEnd(line, i)
			if end > i+2 && line[end-1] == 'm' {
				sgr = true
			}
			i = end
			continue
		}
		if width == cols {
			dst = dst[:start+i]
			if sgr {
				dst = append(dst, ansiReset...)
			}
			return dst
		}
		_, size := utf8.DecodeRune(line[i:])
		i += size
		width++
	}
	return dst
}

// csiEnd returns the index just past the escape sequence starting at
// b[i] (an ESC): a CSI sequence runs to its final byte (0x40–0x7E); a
// two-byte escape is ESC and one more byte; a truncated one runs to the
// end of b.
func csiEnd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	if b[i+1] != '[' {
		return i + 2
	}
	for j := i + 2; j < len(b); j++ {
		if b[j] >= 0x40 && b[j] <= 0x7e {
			return j + 1
		}
	}
	return len(b)
}

// visibleWidth returns how many columns fitWidth counts in b.
func visibleWidth(b []byte) int {
	w := 0
	for i := 0; i < len(b); {
		if b[i] == 0x1b {
			i = csiEnd(b, i)
			continue
		}
		_, size := utf8.DecodeRune(b[i:])
		i += size
		w++
	}
	return w
}

// quitKey reports whether one read of keyboard input asks watch to quit:
// q, Q, Ctrl-C (ETX, when the terminal does not turn it into SIGINT) or
// Ctrl-D (EOT). Bytes inside an escape sequence (an arrow key is
// ESC [ A, a keypad key in application mode ESC O q, Alt-q ESC q) do not
// count; a lone ESC at the end of the read is just the Esc key.
func quitKey(b []byte) bool {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == 0x1b:
			switch {
			case i+1 < len(b) && b[i+1] == 'O': // SS3: one more byte
				i = min(i+3, len(b))
			default:
				i = csiEnd(b, i)
			}
		case c == 'q' || c == 'Q' || c == 0x03 || c == 0x04:
			return true
		default:
			i++
		}
	}
	return false
}
