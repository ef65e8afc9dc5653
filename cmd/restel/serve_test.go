package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/provider"
)

// scriptSource is a scripted export.Source: read k returns snaps[k] (the
// last once the script runs out); reads are counted.
type scriptSource struct {
	mu    sync.Mutex
	snaps []provider.Snapshot
	reads int
}

func (s *scriptSource) CurrentSnapshot(time.Duration) provider.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snaps[min(s.reads, len(s.snaps)-1)]
	s.reads++
	return snap
}

func (s *scriptSource) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// fullScriptSource also has FullSnapshot, so the run counters are
// exported.
type fullScriptSource struct{ scriptSource }

func (s *fullScriptSource) FullSnapshot(maxAge time.Duration) provider.Snapshot {
	return s.CurrentSnapshot(maxAge)
}

var servedDevice = provider.Snapshot{
	CPUPct:         provider.Some(62.5),
	ProcessRSSMB:   provider.Some[uint64](1536),
	AvailableMemMB: provider.Some[uint64](1000),
	TotalMemMB:     provider.Some[uint64](8000),
	Thermal:        provider.ThermalHot,
	BatteryPct:     provider.Some[uint8](35),
	CapturedAtMS:   1_750_000_000_000,
	Counters: provider.Counters{
		CPUStall:    provider.Some(2500 * time.Millisecond),
		MemoryStall: provider.Some(125 * time.Millisecond),
		IOStall:     provider.Some(4 * time.Second),
		Throttled:   provider.Some(750 * time.Millisecond),
		CPUBusy:     provider.Some(125 * time.Second),
		CPUTotal:    provider.Some(1000 * time.Second),
	},
	Bytes: provider.MemoryBytes{ProcessRSS: provider.Some[uint64](1536<<20 + 4096)},
}

// scrape GETs path from h and returns the status, content type and body.
func scrape(t testing.TB, h http.Handler, path, accept string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
}

// availableSeries is this system's available-memory series.
func availableSeries() (name, help string) {
	for _, m := range export.Table() {
		if m.Unit == "By" && strings.Contains(m.Name, "available") {
			return m.PromName, m.Description
		}
	}
	panic("no available-memory metric")
}

// TestMetricsText pins the whole /metrics body for a scripted device: the
// Prometheus names, HELP texts, types and exact values.
func TestMetricsText(t *testing.T) {
	src := &fullScriptSource{scriptSource{snaps: []provider.Snapshot{servedDevice}}}
	status, ctype, body := scrape(t, metricsHandler(src), "/metrics", "")
	if status != 200 || !strings.HasPrefix(ctype, "text/plain; version=0.0.4") {
		t.Fatalf("status %d content type %q, want 200 and the text format", status, ctype)
	}
	avail, availHelp := availableSeries()
	want := map[string]string{
		"hw_battery_charge_ratio": `# HELP hw_battery_charge_ratio Remaining fraction of battery charge.
# TYPE hw_battery_charge_ratio gauge
hw_battery_charge_ratio{hw_id="battery"} 0.35`,
		"process_memory_usage_bytes": `# HELP process_memory_usage_bytes The amount of physical memory in use.
# TYPE process_memory_usage_bytes gauge
process_memory_usage_bytes 1.610616832e+09`,
		"restel_cpu_stall_time_seconds_total": `# HELP restel_cpu_stall_time_seconds_total Time some task waited for a CPU (Linux pressure stall information, cpu some total).
# TYPE restel_cpu_stall_time_seconds_total counter
restel_cpu_stall_time_seconds_total 2.5`,
		"restel_cpu_throttled_time_seconds_total": `# HELP restel_cpu_throttled_time_seconds_total Time the process's cgroup was throttled by its CPU quota.
# TYPE restel_cpu_throttled_time_seconds_total counter
restel_cpu_throttled_time_seconds_total 0.75`,
		"restel_cpu_time_seconds_total": `# HELP restel_cpu_time_seconds_total CPU time of all CPUs together, by state: busy, or idle (idle includes I/O wait).
# TYPE restel_cpu_time_seconds_total counter
restel_cpu_time_seconds_total{state="busy"} 125
restel_cpu_time_seconds_total{state="idle"} 875`,
		"restel_io_stall_time_seconds_total": `# HELP restel_io_stall_time_seconds_total Time some task waited for IO (Linux pressure stall information, io some total).
# TYPE restel_io_stall_time_seconds_total counter
restel_io_stall_time_seconds_total 4`,
		"restel_memory_pressure": `# HELP restel_memory_pressure Memory pressure level: 0 normal, 1 warn, 2 critical.
# TYPE restel_memory_pressure gauge
restel_memory_pressure 1`,
		"restel_memory_stall_time_seconds_total": `# HELP restel_memory_stall_time_seconds_total Time some task waited for memory (Linux pressure stall information, memory some total).
# TYPE restel_memory_stall_time_seconds_total counter
restel_memory_stall_time_seconds_total 0.125`,
		"restel_thermal_state": `# HELP restel_thermal_state Thermal state level: 0 normal, 1 warm, 2 hot, 3 critical.
# TYPE restel_thermal_state gauge
restel_thermal_state 2`,
		"system_memory_limit_bytes": `# HELP system_memory_limit_bytes Total virtual memory available in the system.
# TYPE system_memory_limit_bytes gauge
system_memory_limit_bytes 8.388608e+09`,
		avail: "# HELP " + avail + " " + availHelp + "\n# TYPE " + avail + " gauge\n" + avail + " 1.048576e+09",
	}
	// The text format sorts families by name.
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(want[n] + "\n")
	}
	if body != b.String() {
		t.Errorf("body:\n%s\nwant:\n%s", body, b.String())
	}
	if src.Reads() != 1 {
		t.Errorf("%d reads for one scrape, want 1", src.Reads())
	}
}

// TestMetricsOneReadPerScrape: every scrape reads the source exactly
// once and shows that read's values; the run counters need FullSnapshot.
func TestMetricsOneReadPerScrape(t *testing.T) {
	busy := func(d time.Duration) provider.Counters {
		return provider.Counters{CPUBusy: provider.Some(d), CPUTotal: provider.Some(4 * d), CPUStall: servedDevice.Counters.CPUStall}
	}
	src := &scriptSource{snaps: []provider.Snapshot{
		{Counters: busy(10 * time.Second)},
		{Counters: busy(20 * time.Second)},
		{Counters: busy(30 * time.Second)},
	}}
	h := metricsHandler(src)
	for i, want := range []string{"10", "20", "30"} {
		_, _, body := scrape(t, h, "/metrics", "")
		if src.Reads() != i+1 {
			t.Fatalf("after %d scrapes %d reads", i+1, src.Reads())
		}
		if !strings.Contains(body, "\nrestel_cpu_time_seconds_total{state=\"busy\"} "+want+"\n") {
			t.Errorf("scrape %d: body %q, want busy %s", i, body, want)
		}
		if strings.Contains(body, "stall") {
			t.Errorf("scrape %d: run counters from a source without FullSnapshot: %q", i, body)
		}
	}
}

// TestMetricsCounters: a custom provider's negative counters give no
// sample, and one that goes backwards is served at its last value until
// it passes it, never as a decrease a rate() would take for a reset.
func TestMetricsCounters(t *testing.T) {
	counters := func(stall, busy, total time.Duration) provider.Snapshot {
		return provider.Snapshot{Counters: provider.Counters{
			CPUStall: provider.Some(stall), CPUBusy: provider.Some(busy), CPUTotal: provider.Some(total),
		}}
	}
	src := &fullScriptSource{scriptSource{snaps: []provider.Snapshot{
		counters(-2*time.Second, -time.Second, time.Second),
		counters(3*time.Second, 5*time.Second, 9*time.Second),
		counters(time.Second, 4*time.Second, 7*time.Second),
		counters(4*time.Second, 6*time.Second, 11*time.Second),
	}}}
	h := metricsHandler(src)
	for i, want := range []string{
		"",
		`restel_cpu_stall_time_seconds_total 3|restel_cpu_time_seconds_total{state="busy"} 5|restel_cpu_time_seconds_total{state="idle"} 4`,
		`restel_cpu_stall_time_seconds_total 3|restel_cpu_time_seconds_total{state="busy"} 5|restel_cpu_time_seconds_total{state="idle"} 4`,
		`restel_cpu_stall_time_seconds_total 4|restel_cpu_time_seconds_total{state="busy"} 6|restel_cpu_time_seconds_total{state="idle"} 5`,
	} {
		_, _, body := scrape(t, h, "/metrics", "")
		var got []string
		for line := range strings.Lines(body) {
			if !strings.HasPrefix(line, "#") {
				got = append(got, strings.TrimSuffix(line, "\n"))
			}
		}
		if g := strings.Join(got, "|"); g != want {
			t.Errorf("scrape %d: samples %q, want %q", i, g, want)
		}
	}
}

// TestMetricsUnknown: an all-unknown snapshot exposes no sample at all.
func TestMetricsUnknown(t *testing.T) {
	src := &fullScriptSource{scriptSource{snaps: []provider.Snapshot{provider.Unknown(time.Unix(1, 0))}}}
	if status, _, body := scrape(t, metricsHandler(src), "/metrics", ""); status != 200 || body != "" {
		t.Errorf("status %d body %q, want 200 and no samples", status, body)
	}
}

// TestMetricsProtobuf: a scraper that asks for the protobuf format gets
// it (content negotiation is client_golang's).
func TestMetricsProtobuf(t *testing.T) {
	src := &scriptSource{snaps: []provider.Snapshot{servedDevice}}
	accept := "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
	status, ctype, body := scrape(t, metricsHandler(src), "/metrics", accept)
	if status != 200 || !strings.HasPrefix(ctype, "application/vnd.google.protobuf") || !strings.Contains(body, "restel_cpu_time_seconds_total") {
		t.Errorf("status %d content type %q, want 200 and protobuf", status, ctype)
	}
}

type panicSource struct{}

func (panicSource) CurrentSnapshot(time.Duration) provider.Snapshot { panic("provider bug") }

// TestMetricsPanic: a panicking source fails the scrape, not the server.
func TestMetricsPanic(t *testing.T) {
	status, _, body := scrape(t, metricsHandler(panicSource{}), "/metrics", "")
	if status != 500 || !strings.Contains(body, "provider bug") {
		t.Errorf("status %d body %q, want 500 naming the panic", status, body)
	}
}

func TestServeRoutes(t *testing.T) {
	h := metricsHandler(&scriptSource{snaps: []provider.Snapshot{servedDevice}})
	for _, tc := range []struct {
		path   string
		status int
	}{{"/", 200}, {"/metrics", 200}, {"/nothing", 404}} {
		if status, _, _ := scrape(t, h, tc.path, ""); status != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, status, tc.status)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"busy address", []string{"serve", "--listen", busy.Addr().String()}, addrInUseText},
		{"bad address", []string{"serve", "--listen", "nowhere"}, "missing port in address"},
		{"empty address", []string{"serve", "--listen", ""}, `--listen "": want HOST:PORT`},
		{"no host, port 0", []string{"serve", "--listen", ":0"}, `--listen ":0": no host`},
		{"no host", []string{"serve", "--listen", ":9464"}, `--listen ":9464": no host`},
		{"argument", []string{"serve", "now"}, `unexpected argument "now"`},
		{"unknown flag", []string{"serve", "--port", "1"}, "flag provided but not defined: --port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", tc.args...)
			checkUsageErr(t, status, stdout, stderr, "restel: serve: ", tc.want)
		})
	}
}

// TestServeInProcess serves on a free port until the context ends (as a
// signal ends it): a scrape in between works, and the status is 0.
func TestServeInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e, stdout, _ := testEnv(ctx, nil)
	pr, pw := io.Pipe()
	e.stderr = pw
	done := make(chan int, 1)
	go func() { done <- realMain(e, []string{"serve", "--listen", "127.0.0.1:0"}); pw.Close() }()
	addr := readServeAddr(t, pr)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	name, _ := availableSeries()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "\n"+name+" ") {
		t.Errorf("status %d body %q, want 200 with %s", resp.StatusCode, body, name)
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	rest, _ := io.ReadAll(pr)
	if got := <-done; got != 0 || stdout.Len() != 0 || len(rest) != 0 {
		t.Errorf("status %d stdout %q stderr %q after the signal, want 0 and nothing", got, stdout, rest)
	}
}

// readServeAddr reads serve's first stderr line and returns the address
// it serves on.
func readServeAddr(t *testing.T, r io.Reader) string {
	t.Helper()
	line := make([]byte, 0, 256)
	b := make([]byte, 1)
	for len(line) == 0 || line[len(line)-1] != '\n' {
		if _, err := r.Read(b); err != nil {
			t.Fatalf("reading serve's stderr: %v (got %q)", err, line)
		}
		line = append(line, b[0])
	}
	const prefix, suffix = "restel: serve: metrics on http://", "/metrics\n"
	s := string(line)
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		t.Fatalf("serve's first line %q, want %q ADDR %q", s, prefix, suffix)
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, prefix), suffix)
}

// testServeShortEnv makes a re-executed `restel serve` use
// testServeLimits, so a flood test does not wait for production timeouts.
const testServeShortEnv = "RESTEL_TEST_SERVE_SHORT"

// testServeLimits are the production limits with shorter timeouts (the
// grace of a new connection is production's).
var testServeLimits = func() serveLimits {
	lim := defaultServeLimits
	lim.readHeader, lim.read, lim.write, lim.idle = time.Second, 2*time.Second, 2*time.Second, time.Second
	lim.busyEvict = time.Second
	return lim
}()

// shortServeLimits makes serve's timeouts short for the rest of the test.
func shortServeLimits(t *testing.T) serveLimits {
	lim := defaultServeLimits
	lim.readHeader, lim.read, lim.write, lim.idle = 100*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond, 100*time.Millisecond
	lim.grace, lim.busyEvict = 50*time.Millisecond, 100*time.Millisecond
	old := serveLimitsNow
	serveLimitsNow = func() serveLimits { return lim }
	t.Cleanup(func() { serveLimitsNow = old })
	return lim
}

// TestServeClosesIdleConnection: a keep-alive connection left idle after a
// scrape is closed by the server once the idle timeout has passed. The
// read deadline only bounds the wait: without an idle timeout the server
// would keep the connection open and the read would time out instead.
func TestServeClosesIdleConnection(t *testing.T) {
	shortServeLimits(t)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e, _, _ := testEnv(ctx, nil)
	pr, pw := io.Pipe()
	e.stderr = pw
	done := make(chan int, 1)
	go func() { done <- realMain(e, []string{"serve", "--listen", "127.0.0.1:0"}); pw.Close() }()
	defer func() {
		cancel()
		_, _ = io.Copy(io.Discard, pr)
		<-done
	}()
	addr := readServeAddr(t, pr)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("status %d close %v, want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
	}
	// Idle now: the next read ends when the server closes the connection.
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := br.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) {
		t.Fatalf("idle read: %d bytes, %v; want EOF (the server closed the idle connection)", n, err)
	}
}

// addrInUseText is how the OS words a busy address: EADDRINUSE on Unix,
// WSAEADDRINUSE (10048) on Windows, in the system's own message text.
var addrInUseText = func() string {
	if runtime.GOOS == "windows" {
		return syscall.Errno(10048).Error()
	}
	return syscall.EADDRINUSE.Error()
}()
