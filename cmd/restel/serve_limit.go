package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// serveLimits bounds what clients of `restel serve` can hold
// (docs/contract.md §6 "restel serve"): how many connections are open at
// once, and how long a connection may take at each step.
type serveLimits struct {
	// maxConns is the most connections open at once. Beyond it, a new
	// connection waits in the kernel's listen backlog until an older one
	// is closed or can be closed to make room (see connLimiter).
	maxConns int
	// readHeader bounds the wait for a request's headers, read the whole
	// request, write its response, and idle a kept-alive connection
	// between requests.
	readHeader, read, write, idle time.Duration
	// grace is how long a new connection has to send its first request
	// before it may be closed to make room. A client's request is
	// usually in the kernel's buffer before restel accepts the
	// connection.
	grace time.Duration
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
	maxConns:       256,
	readHeader:     5 * time.Second,
	read:           10 * time.Second,
	write:          10 * time.Second,
	idle:           60 * time.Second,
	grace:          250 * time.Millisecond,
	busyEvict:      2 * time.Second,
	maxHeaderBytes: 16 << 10,
	sockBuf:        64 << 10,
}

// serveLimitsNow returns the limits serve uses; tests replace it.
var serveLimitsNow = func() serveLimits { return defaultServeLimits }

// connLimiter is a net.Listener that keeps at most max connections open.
// At the limit, Accept first makes room, closing one connection in this
// order of preference: the oldest that has not been sent a response and is
// older than grace (a client that stalls before or inside its first
// request), the oldest between requests (kept alive, or a client that
// never reads: an HTTP client reconnects), the oldest whose request has
// been in progress for busyEvict or longer. When none qualifies yet, Accept waits until one does or a
// connection closes; new connections wait in the kernel's listen backlog
// meanwhile. So a flood of stalled clients is taken max connections per
// grace period, and a scraper in the backlog behind them is accepted with
// its request already sent and answered within its grace.
type connLimiter struct {
	net.Listener
	lim serveLimits

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	freed     chan struct{} // a connection closed (buffered: one pending wake-up)

	// release returns memory to the operating system; it runs once the
	// connections fall back to an eighth of max after the limit was
	// reached, so a flood's peak does not stay in the process's resident
	// memory (Go's heap would keep it until its next collection, minutes
	// later on an idle server).
	release func()

	mu    sync.Mutex
	seq   uint64
	conns map[*limitedConn]struct{}
	// evicted counts connections closed to make room; saturated is set
	// when the limit is reached and cleared by the release that follows.
	evicted   uint64
	saturated bool
}

func newConnLimiter(ln net.Listener, lim serveLimits) *connLimiter {
	lim.maxConns = max(lim.maxConns, 1)
	return &connLimiter{Listener: ln, lim: lim, done: make(chan struct{}), freed: make(chan struct{}, 1),
		release: debug.FreeOSMemory, conns: make(map[*limitedConn]struct{})}
}

// Close closes the listener; an Accept waiting for room returns.
func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Accept makes room for a connection, then waits for one.
func (l *connLimiter) Accept() (net.Conn, error) {
	if err := l.makeRoom(); err != nil {
		return nil, err
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok && l.lim.sockBuf > 0 {
		_ = tc.SetWriteBuffer(l.lim.sockBuf) // a hint: the kernel may round it
		_ = tc.SetReadBuffer(l.lim.sockBuf)
	}
	lc := &limitedConn{Conn: c, l: l, accepted: time.Now()}
	l.mu.Lock()
	l.seq++
	lc.seq = l.seq
	l.conns[lc] = struct{}{}
	l.mu.Unlock()
	return lc, nil
}

// makeRoom returns once fewer than max connections are open, closing one
// when one qualifies (see connLimiter), or net.ErrClosed once the listener
// is closed.
func (l *connLimiter) makeRoom() error {
	for {
		l.mu.Lock()
		if len(l.conns) < l.lim.maxConns {
			l.mu.Unlock()
			return nil
		}
		l.saturated = true
		victim, wait := l.victimLocked(time.Now())
		if victim != nil {
			delete(l.conns, victim)
			l.evicted++
		}
		l.mu.Unlock()
		if victim != nil {
			victim.closeConn()
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.freed:
		case <-l.done:
			t.Stop()
			return net.ErrClosed
		}
		t.Stop()
	}
}

// victimLocked picks the connection to close to make room, or returns how
// long until one may qualify.
func (l *connLimiter) victimLocked(now time.Time) (*limitedConn, time.Duration) {
	var idle, unserved, busy *limitedConn
	wait := l.lim.busyEvict
	older := func(a, b *limitedConn) bool { return b == nil || a.seq < b.seq }
	for c := range l.conns {
		switch {
		case c.busy.IsZero() && c.served:
			if older(c, idle) {
				idle = c
			}
		case c.busy.IsZero():
			if age := now.Sub(c.accepted); age >= l.lim.grace {
				if older(c, unserved) {
					unserved = c
				}
			} else {
				wait = min(wait, l.lim.grace-age)
			}
		default:
			if age := now.Sub(c.busy); age >= l.lim.busyEvict {
				if older(c, busy) {
					busy = c
				}
			} else {
				wait = min(wait, l.lim.busyEvict-age)
			}
		}
	}
	switch {
	case unserved != nil:
		return unserved, 0
	case idle != nil:
		return idle, 0
	case busy != nil:
		return busy, 0
	}
	return nil, max(wait, time.Millisecond)
}

// counts returns the connections open and evicted so far.
func (l *connLimiter) counts() (open int, evicted uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns), l.evicted
}

// limitedConn is a connection of a connLimiter.
type limitedConn struct {
	net.Conn
	l        *connLimiter
	seq      uint64 // accept order
	accepted time.Time

	// Guarded by l.mu.
	busy   time.Time // when the request in progress began; zero between requests
	served bool      // a request has been handled

	once sync.Once
	err  error
}

// Close closes the connection and frees its place.
func (c *limitedConn) Close() error {
	l := c.l
	l.mu.Lock()
	_, mine := l.conns[c]
	delete(l.conns, c)
	release := l.saturated && len(l.conns) <= l.lim.maxConns/8
	if release {
		l.saturated = false
	}
	l.mu.Unlock()
	if mine {
		select {
		case l.freed <- struct{}{}:
		default:
		}
	}
	err := c.closeConn()
	if release {
		l.release()
	}
	return err
}

func (c *limitedConn) closeConn() error {
	c.once.Do(func() { c.err = c.Conn.Close() })
	return c.err
}

// begin marks a request in progress; end marks it handled.
func (c *limitedConn) begin() {
	c.l.mu.Lock()
	c.busy = time.Now()
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
