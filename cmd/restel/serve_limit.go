package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// serveLimits bounds what clients of `restel serve` can hold
// (docs/contract.md §6 "restel serve"): how many connections are open at
// once, and how long a connection may take at each step.
type serveLimits struct {
	// maxConns is the most connections open at once. A connection
	// accepted beyond it takes the place of an older one (see
	// connLimiter), so a scraper is answered however many idle or
	// stalled clients there are.
	maxConns int
	// readHeader bounds the wait for a request's headers, read the whole
	// request, write its response, and idle a kept-alive connection
	// between requests.
	readHeader, read, write, idle time.Duration
	// busyEvict is how long a request may be in progress before its
	// connection may be closed to make room: a scrape of restel takes
	// milliseconds; a client that never reads its responses holds the
	// server in a write.
	busyEvict time.Duration
	// maxHeaderBytes bounds a request's headers.
	maxHeaderBytes int
	// sockBuf is the kernel send and receive buffer of each connection:
	// a response is a few KiB, and a client that never reads must not
	// make the kernel grow the buffer to megabytes.
	sockBuf int
}

// defaultServeLimits are restel serve's limits. Tests shorten the
// timeouts (see serveLimitsNow).
var defaultServeLimits = serveLimits{
	maxConns:       128,
	readHeader:     5 * time.Second,
	read:           10 * time.Second,
	write:          10 * time.Second,
	idle:           60 * time.Second,
	busyEvict:      2 * time.Second,
	maxHeaderBytes: 16 << 10,
	sockBuf:        64 << 10,
}

// serveLimitsNow returns the limits serve uses; tests replace it.
var serveLimitsNow = func() serveLimits { return defaultServeLimits }

// connLimiter is a net.Listener that keeps at most max connections open.
// When a new connection arrives at the limit, it closes an older one in
// this order of preference: the oldest that has not yet been sent a
// response (a client that stalls before or inside its first request), then
// the oldest that is between requests (kept alive, or a client that never
// reads), then the oldest whose request has been in progress for busyEvict
// or longer. When every connection is in a request younger than that, the
// new connection is closed instead. A real scraper's connection completes
// its request within milliseconds of being accepted, so it is never the
// oldest of the stalled ones for long.
type connLimiter struct {
	net.Listener
	max       int
	busyEvict time.Duration
	sockBuf   int
	now       func() time.Time

	mu    sync.Mutex
	seq   uint64
	conns map[*limitedConn]struct{}
	// evicted counts connections closed to make room, refused counts new
	// connections closed because none could be.
	evicted, refused uint64
}

func newConnLimiter(ln net.Listener, lim serveLimits, now func() time.Time) *connLimiter {
	return &connLimiter{Listener: ln, max: max(lim.maxConns, 1), busyEvict: lim.busyEvict,
		sockBuf: lim.sockBuf, now: now, conns: make(map[*limitedConn]struct{})}
}

// Accept waits for the next connection and makes room for it.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok && l.sockBuf > 0 {
			_ = tc.SetWriteBuffer(l.sockBuf) // a hint: the kernel may round it
			_ = tc.SetReadBuffer(l.sockBuf)
		}
		lc := &limitedConn{Conn: c, l: l}
		l.mu.Lock()
		var victim *limitedConn
		if len(l.conns) >= l.max {
			victim = l.victimLocked()
			if victim == nil {
				l.refused++
				l.mu.Unlock()
				_ = c.Close()
				continue
			}
			delete(l.conns, victim)
			l.evicted++
		}
		l.seq++
		lc.seq = l.seq
		l.conns[lc] = struct{}{}
		l.mu.Unlock()
		if victim != nil {
			victim.closeConn()
		}
		return lc, nil
	}
}

// victimLocked picks the connection to close to make room, or nil.
func (l *connLimiter) victimLocked() *limitedConn {
	now := l.now()
	var unserved, idle, busy *limitedConn
	older := func(a, b *limitedConn) bool { return b == nil || a.seq < b.seq }
	for c := range l.conns {
		switch {
		case c.busy.IsZero() && !c.served:
			if older(c, unserved) {
				unserved = c
			}
		case c.busy.IsZero():
			if older(c, idle) {
				idle = c
			}
		case now.Sub(c.busy) >= l.busyEvict:
			if older(c, busy) {
				busy = c
			}
		}
	}
	switch {
	case unserved != nil:
		return unserved
	case idle != nil:
		return idle
	}
	return busy
}

// counts returns the connections open, evicted and refused so far.
func (l *connLimiter) counts() (open int, evicted, refused uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns), l.evicted, l.refused
}

// limitedConn is a connection of a connLimiter.
type limitedConn struct {
	net.Conn
	l   *connLimiter
	seq uint64 // accept order

	// Guarded by l.mu.
	busy   time.Time // when the request in progress began; zero between requests
	served bool      // a request has been handled

	once sync.Once
	err  error
}

// Close closes the connection and frees its place.
func (c *limitedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.closeConn()
}

func (c *limitedConn) closeConn() error {
	c.once.Do(func() { c.err = c.Conn.Close() })
	return c.err
}

// begin marks a request in progress; end marks it handled.
func (c *limitedConn) begin() {
	c.l.mu.Lock()
	c.busy = c.l.now()
	c.l.mu.Unlock()
}

func (c *limitedConn) end() {
	c.l.mu.Lock()
	c.busy, c.served = time.Time{}, true
	c.l.mu.Unlock()
}

type connKey struct{}

// withConn is http.Server.ConnContext: it lets a handler find its
// connection.
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// limitRequests wraps h: while it runs, the request's connection counts
// as busy (see connLimiter), and a request that declares a body is
// refused with 413 and the connection closed, unread: no route of restel
// serve takes a body.
func limitRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(*limitedConn); ok {
			c.begin()
			defer c.end()
		}
		if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
			http.Error(w, "restel: no request body is accepted", http.StatusRequestEntityTooLarge)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// limitedLog is the io.Writer behind http.Server.ErrorLog: each line Go's
// server logs ("http: TLS handshake error", "http: Accept error: ... too
// many open files") becomes one warning in restel's form through note, at
// most burst lines at once and then one per every, so a flood of clients
// cannot flood stderr. The lines dropped are counted in the next line
// written.
type limitedLog struct {
	e     env
	now   func() time.Time
	burst int
	every time.Duration

	mu      sync.Mutex
	tokens  int
	last    time.Time
	dropped int
}

func newLimitedLog(e env, now func() time.Time) *limitedLog {
	return &limitedLog{e: e, now: now, burst: 5, every: 10 * time.Second, tokens: 5}
}

func (l *limitedLog) Write(p []byte) (int, error) {
	n := len(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.last.IsZero() {
		l.last = now
	}
	if k := int(now.Sub(l.last) / l.every); k > 0 {
		l.tokens = min(l.burst, l.tokens+k)
		l.last = l.last.Add(time.Duration(k) * l.every)
	}
	if l.tokens == 0 {
		l.dropped++
		return n, nil
	}
	l.tokens--
	p = bytes.TrimRight(p, "\n")
	if l.dropped > 0 {
		note(l.e, "serve: %s (%d more server messages not shown)", p, l.dropped)
		l.dropped = 0
	} else {
		note(l.e, "serve: %s", p)
	}
	return n, nil
}
