package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// pipeListener is a net.Listener whose connections are the server ends of
// net.Pipe pairs handed to it by dial.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn, 16), closed: make(chan struct{})}
}

func (p *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.closed:
		return nil, net.ErrClosed
	}
}

func (p *pipeListener) Close() error   { close(p.closed); return nil }
func (p *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial queues a connection and returns its client end.
func (p *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	p.conns <- server
	return client
}

// isClosed reports whether the server closed the connection whose client
// end is c (a read on an open pipe would block: the deadline ends it).
func isClosed(t *testing.T, c net.Conn) bool {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("unexpected data on the connection")
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestConnLimiterEviction: at the limit, a new connection takes the place
// of the oldest never-served one, then of the oldest between requests,
// then of the oldest busy for busyEvict or longer; when every connection
// is in a fresh request, the new one is closed instead.
func TestConnLimiterEviction(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	pl := newPipeListener()
	lim := defaultServeLimits
	lim.maxConns, lim.busyEvict = 3, time.Second
	l := newConnLimiter(pl, lim, clock.now)
	defer l.Close()

	clients := map[string]net.Conn{}
	conns := map[string]*limitedConn{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
		for _, c := range conns {
			c.Close()
		}
	}()
	// accept dials name and accepts: the connection the limiter keeps
	// must be that one.
	accept := func(name string) *limitedConn {
		t.Helper()
		clients[name] = pl.dial()
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		conns[name] = c.(*limitedConn)
		return conns[name]
	}
	closed := func() string {
		var out []string
		for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
			if c, ok := clients[n]; ok && isClosed(t, c) {
				out = append(out, n)
			}
		}
		return strings.Join(out, ",")
	}

	a, b, _ := accept("a"), accept("b"), accept("c")
	a.begin()
	a.end() // a has been served and is between requests
	b.begin()
	b.end()
	// c has sent nothing: it goes first, though a and b are older.
	accept("d").begin()
	if got := closed(); got != "c" {
		t.Fatalf("closed %q after d; want c, never served", got)
	}
	// Then the oldest between requests: a.
	accept("e").begin()
	if got := closed(); got != "a,c" {
		t.Fatalf("closed %q after e; want a (between requests) too", got)
	}
	b.begin()
	// b, d and e are all in requests just begun: f is closed at once, and
	// Accept waits for another connection.
	done := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		done <- c
	}()
	clients["f"] = pl.dial()
	for !isClosed(t, clients["f"]) {
	}
	if got := closed(); got != "a,c,f" {
		t.Fatalf("closed %q after f; want f refused", got)
	}
	// Once they have been busy for busyEvict, the oldest of them, b, goes.
	clock.add(lim.busyEvict)
	clients["g"] = pl.dial()
	conns["g"] = (<-done).(*limitedConn)
	if got := closed(); got != "a,b,c,f" {
		t.Fatalf("closed %q after g; want b, the oldest long-busy, too", got)
	}
	if open, evicted, refused := l.counts(); open != 3 || evicted != 3 || refused != 1 {
		t.Errorf("open %d evicted %d refused %d; want 3, 3, 1", open, evicted, refused)
	}
}

// TestConnLimiterClose: a connection closed by the server frees its place,
// and closing it twice is harmless.
func TestConnLimiterClose(t *testing.T) {
	pl := newPipeListener()
	lim := defaultServeLimits
	lim.maxConns = 1
	l := newConnLimiter(pl, lim, time.Now)
	defer l.Close()
	client := pl.dial()
	defer client.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if open, _, _ := l.counts(); open != 0 {
		t.Errorf("%d open after Close; want 0", open)
	}
}

// TestLimitedLog: Go's server log lines come out in restel's form, at most
// a burst at once and then one per interval, the next line shown counting
// those dropped.
func TestLimitedLog(t *testing.T) {
	now := time.Unix(0, 0)
	var buf bytes.Buffer
	l := newLimitedLog(env{stderr: &buf}, func() time.Time { return now })
	for i := range 100 {
		_, _ = io.WriteString(l, "http: Accept error: too many open files; retrying in 5ms\n")
		if i == 49 {
			now = now.Add(l.every) // one more line allowed
		}
	}
	now = now.Add(l.every)
	_, _ = io.WriteString(l, "http: TLS handshake error from 127.0.0.1:5: \x1b[2J\n")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	want := []string{
		"restel: serve: http: Accept error: too many open files; retrying in 5ms",
		"restel: serve: http: Accept error: too many open files; retrying in 5ms",
		"restel: serve: http: Accept error: too many open files; retrying in 5ms",
		"restel: serve: http: Accept error: too many open files; retrying in 5ms",
		"restel: serve: http: Accept error: too many open files; retrying in 5ms",
		"restel: serve: http: Accept error: too many open files; retrying in 5ms (45 more server messages not shown)",
		`restel: serve: http: TLS handshake error from 127.0.0.1:5: \x1b[2J (49 more server messages not shown)`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestServeErrorLog: the server's ErrorLog writes restel's one warning
// form.
func TestServeErrorLog(t *testing.T) {
	var buf bytes.Buffer
	srv := newServer(env{stderr: &buf, cmd: "serve"}, http.NotFoundHandler(), defaultServeLimits)
	srv.ErrorLog.Printf("http: superfluous response.WriteHeader call from %s", "x")
	if got, want := buf.String(), "restel: serve: http: superfluous response.WriteHeader call from x\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestServeRefusesBody: a request that declares a body is answered 413
// and its connection closed without reading the body; a GET without one
// is served on the same server.
func TestServeRefusesBody(t *testing.T) {
	shortServeLimits(t)
	addr := startServeInProcess(t)
	for _, req := range []string{
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
		"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, req); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
			t.Errorf("%q: status %d close %v; want 413 and the connection closed", req, resp.StatusCode, resp.Close)
		}
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("%q: after the 413, read %v; want EOF", req, err)
		}
		conn.Close()
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	if resp.StatusCode != 200 {
		t.Errorf("GET /metrics: status %d", resp.StatusCode)
	}
}

// TestServeHeaderBound: headers beyond maxHeaderBytes are refused.
func TestServeHeaderBound(t *testing.T) {
	lim := shortServeLimits(t)
	addr := startServeInProcess(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	big := "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*lim.maxHeaderBytes+4096) + "\r\n\r\n"
	go func() { _, _ = io.WriteString(conn, big) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d; want 431", resp.StatusCode)
	}
}

// TestServeWildcardNote: an address on every interface is served with a
// note saying so, before the address line.
func TestServeWildcardNote(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	e, _, _ := testEnv(ctx, nil)
	pr, pw := io.Pipe()
	e.stderr = pw
	done := make(chan int, 1)
	go func() { done <- realMain(e, []string{"serve", "--listen", "0.0.0.0:0"}); pw.Close() }()
	br := bufio.NewReader(pr)
	first, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	cancel() // serve no longer than needed on every interface
	if !strings.HasPrefix(first, "restel: serve: listening on every interface (") || !strings.HasSuffix(first, "): the metrics can be read from other machines\n") {
		t.Errorf("first line %q; want the every-interface note", first)
	}
	rest, _ := io.ReadAll(br)
	if !strings.HasPrefix(string(rest), "restel: serve: metrics on http://") || strings.Count(string(rest), "\n") != 1 {
		t.Errorf("then %q; want the address line alone", rest)
	}
	if got := <-done; got != 0 {
		t.Errorf("status %d; want 0", got)
	}
}

// startServeInProcess runs `restel serve --listen 127.0.0.1:0` in this
// process until the test ends and returns its address.
func startServeInProcess(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	e, _, _ := testEnv(ctx, nil)
	pr, pw := io.Pipe()
	e.stderr = pw
	done := make(chan int, 1)
	go func() { done <- realMain(e, []string{"serve", "--listen", "127.0.0.1:0"}); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		_, _ = io.Copy(io.Discard, pr)
		<-done
	})
	return readServeAddr(t, pr)
}
