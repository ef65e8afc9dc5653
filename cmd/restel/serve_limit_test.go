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
	"testing/synctest"
	"time"
)

// pipeListener is a net.Listener whose connections are the server ends of
// net.Pipe pairs handed to it by dial.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
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

func (p *pipeListener) Close() error   { p.once.Do(func() { close(p.closed) }); return nil }
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

// TestConnLimiterEviction: at the limit, Accept makes room by closing the
// oldest never-served connection past its grace, then the oldest between
// requests, then the oldest busy for busyEvict or longer; until one
// qualifies it waits, and a connection closing lets it go on at once.
func TestConnLimiterEviction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pl := newPipeListener()
		lim := defaultServeLimits
		lim.maxConns, lim.grace, lim.busyEvict = 3, 100*time.Millisecond, time.Second
		l := newConnLimiter(pl, lim)
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
		// accept dials name and accepts it, and returns how long Accept
		// took on the bubble's clock.
		accept := func(name string) time.Duration {
			t.Helper()
			clients[name] = pl.dial()
			start := time.Now()
			c, err := l.Accept()
			if err != nil {
				t.Fatal(err)
			}
			conns[name] = c.(*limitedConn)
			return time.Since(start)
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

		accept("a")
		accept("b")
		conns["a"].begin()
		conns["a"].end() // a has been served and is between requests
		conns["b"].begin()
		conns["b"].end()
		accept("c") // c sends nothing
		// c is still in its grace: a, between requests, goes first.
		if waited := accept("d"); waited != 0 {
			t.Errorf("d waited %v; want none (a is between requests)", waited)
		}
		conns["d"].begin()
		dBusy := time.Now()
		if got := closed(); got != "a" {
			t.Fatalf("closed %q after d; want a", got)
		}
		// c, never served, goes once its grace has passed, before b.
		time.Sleep(lim.grace)
		accept("e")
		conns["e"].begin()
		if got := closed(); got != "a,c" {
			t.Fatalf("closed %q after e; want c, never served", got)
		}
		conns["b"].begin()
		// b, d and e are all in requests: f waits until the first of
		// them, d, has been busy for busyEvict, then d goes.
		accept("f")
		if got, want := time.Now(), dBusy.Add(lim.busyEvict); !got.Equal(want) {
			t.Errorf("f accepted at %v; want %v, when d had been busy for %v", got, want, lim.busyEvict)
		}
		if got := closed(); got != "a,c,d" {
			t.Fatalf("closed %q after f; want d, busy too long, too", got)
		}
		// A connection that closes makes room at once.
		conns["f"].begin()
		go func() {
			time.Sleep(10 * time.Millisecond)
			conns["b"].Close()
		}()
		if waited := accept("g"); waited != 10*time.Millisecond {
			t.Errorf("g waited %v; want 10ms, until b closed", waited)
		}
		if open, evicted := l.counts(); open != 3 || evicted != 3 {
			t.Errorf("open %d evicted %d; want 3, 3", open, evicted)
		}
		// Close ends an Accept waiting for room.
		conns["g"].begin()
		done := make(chan error)
		go func() {
			_, err := l.Accept()
			done <- err
		}()
		synctest.Wait()
		l.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v; want net.ErrClosed", err)
		}
	})
}

// TestConnLimiterClose: a connection closed by the server frees its place,
// and closing it twice is harmless.
func TestConnLimiterClose(t *testing.T) {
	pl := newPipeListener()
	lim := defaultServeLimits
	lim.maxConns = 1
	l := newConnLimiter(pl, lim)
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
	if open, _ := l.counts(); open != 0 {
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
