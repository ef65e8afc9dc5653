package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Every warning and error restel prints on stderr has one form:
//
//	restel: CMD: message
//
// (just "restel: message" before a command is known). Every one goes
// through cliHandler: the CLI's own lines (usageErr, note, through
// cliLine) and a library's slog records (a Monitor's warnings, through
// cliLogger).

// cliLogger is where a Monitor's warnings go on the command line (an
// invalid RESTEL_RESOURCE_TELEMETRY, an unusable debug directory): one
// "restel: CMD: message" line each on e.stderr.
func cliLogger(e env) *slog.Logger {
	return slog.New(&cliHandler{out: &lineWriter{w: e.stderr}, cmd: e.cmd, level: slog.LevelInfo})
}

// cliLine writes msg, one of the CLI's own messages, as one line through
// cliHandler. Those messages name their command themselves ("watch:
// ..."), so the handler is given none.
func cliLine(e env, msg string) {
	h := cliHandler{out: &lineWriter{w: e.stderr}, level: slog.LevelInfo}
	_ = h.Handle(context.Background(), slog.NewRecord(time.Time{}, slog.LevelWarn, msg, 0))
}

// lineWriter writes whole lines to w, one at a time.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) writeLine(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(b) // a warning that cannot be written has nowhere to go
}

// cliHandler is a slog.Handler that prints each record as one line:
// "restel: CMD: " then the message (less a leading "restel: " the library
// may have put there), then an err attribute as ": <error>" and any other
// attribute as " key=value" (logfmt quoting). Time and level are left out:
// a terminal user reads the words. Records below level are dropped.
type cliHandler struct {
	out    *lineWriter
	cmd    string
	level  slog.Level
	prefix string // group prefix for later attributes ("g.")
	attrs  []slog.Attr
}

func (h *cliHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *cliHandler) Handle(_ context.Context, r slog.Record) error {
	h.out.writeLine(h.appendRecord(make([]byte, 0, 128), r))
	return nil
}

func (h *cliHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		a.Key = h.prefix + a.Key
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *cliHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// appendRecord appends r's line, newline included.
func (h *cliHandler) appendRecord(dst []byte, r slog.Record) []byte {
	dst = append(dst, "restel: "...)
	if h.cmd != "" {
		dst = append(dst, h.cmd...)
		dst = append(dst, ": "...)
	}
	msg := strings.TrimPrefix(r.Message, "restel: ")
	if h.cmd != "" {
		msg = strings.TrimPrefix(msg, h.cmd+": ")
	}
	dst = append(dst, oneLine(msg)...)
	var errs []byte
	var rest []byte
	add := func(a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			return
		}
		if a.Value.Kind() == slog.KindGroup {
			for _, g := range a.Value.Group() {
				g.Key = a.Key + "." + g.Key
				rest = appendAttr(rest, g)
			}
			return
		}
		if k := a.Key[strings.LastIndexByte(a.Key, '.')+1:]; k == "err" || k == "error" {
			errs = append(errs, ": "...)
			errs = append(errs, oneLine(a.Value.String())...)
			return
		}
		rest = appendAttr(rest, a)
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool {
		a.Key = h.prefix + a.Key
		add(a)
		return true
	})
	dst = append(dst, errs...)
	dst = append(dst, rest...)
	return append(dst, '\n')
}

// appendAttr appends " key=value", quoting a value that is empty or holds
// a space, quote, equals sign, backslash, or anything escapeText would
// escape.
func appendAttr(dst []byte, a slog.Attr) []byte {
	dst = append(dst, ' ')
	dst = append(dst, escapeText(a.Key)...)
	dst = append(dst, '=')
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \"=\\") || needsEscape(v) {
		return strconv.AppendQuote(dst, v)
	}
	return append(dst, v...)
}

// oneLine folds a multi-line text into one line ("; " between lines) and
// escapes what a terminal would act on (see escapeText): a warning echoes
// file names, file contents and environment values restel does not
// control, and none of them may move the cursor, clear the screen or
// hide the rest of the line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "\n") {
		s = strings.ReplaceAll(s, "\n", "; ")
	}
	return escapeText(s)
}

// needsEscape reports whether s holds invalid UTF-8 or a rune that is not
// printable (strconv.IsPrint: C0 and C1 controls, DEL, format characters
// such as bidirectional overrides, spaces other than U+0020).
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c >= ' ' && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !strconv.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

// escapeText returns s with every byte of invalid UTF-8 written as \xNN
// and every non-printable rune written as Go writes it in a quoted string
// (\x1b, \r, \t, \u0085, \u202e); everything else is left as it is. The
// result is valid UTF-8 with nothing a terminal interprets.
func escapeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[s[i]>>4], "0123456789abcdef"[s[i]&0xf])
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r) // '\x1b', '\u0085'
			b = append(b, q[1:len(q)-1]...)
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
