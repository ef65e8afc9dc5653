package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPrometheusScrapesServe runs a real Prometheus server against a real
// `restel serve`, scraping it every 5 s, and reads back through
// Prometheus's HTTP API:
//   - the available memory it stored, which matches /proc/meminfo
//     MemAvailable;
//   - the CPU time counter over two consecutive scrapes with CPU load
//     generated between them: the busy share that rate() gives matches
//     /proc/stat over the same two instants within 2 percentage points.
//
// Without a prometheus binary it skips, unless CI is set: CI installs
// Debian's prometheus package (.ci/run), so there a missing binary is a
// failure.
func TestPrometheusScrapesServe(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but there is no prometheus binary on PATH (.ci/run installs Debian's prometheus package): %v", err)
		}
		t.Skipf("no prometheus binary on PATH (CI installs one): %v", err)
	}
	var mem memSamples
	mem.record(t) // before restel's first read
	stat := startStatLog(t)

	_, restelAddr, _, _ := startServe(t)
	promAddr, promOut := startPrometheus(t, bin, restelAddr, promInterval)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var avail float64
	for {
		mem.record(t)
		v, ok, err := promQuery(ctx, client, promAddr, "system_memory_linux_available_bytes")
		if err == nil && ok {
			avail = v
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no sample of system_memory_linux_available_bytes in Prometheus before the deadline (last query: %v)\nprometheus output:\n%s", err, promOut.String())
		case <-tick.C:
		}
	}
	mem.record(t)
	limit, ok, err := promQuery(ctx, client, promAddr, "system_memory_limit_bytes")
	if err != nil || !ok {
		t.Fatalf("system_memory_limit_bytes: %v (present %v)", err, ok)
	}

	// The sample was read between the first and the last meminfo reading.
	// restel reports bytes as /proc/meminfo has them (kB), bounded by the
	// process's cgroup: without a cgroup bound (restel's total is the
	// host's) the sample lies in the readings' range; with one it can
	// only be lower.
	const slack = 256 << 20 // other processes' allocations between two readings
	lo, hi := mem.availRange()
	lo, hi = lo-slack, hi+slack
	hostTotal := float64(mem.total)
	t.Logf("Prometheus: available %.0f B, limit %.0f B; /proc/meminfo: MemAvailable in [%d, %d] B over %d readings, MemTotal %d B",
		avail, limit, mem.availMin, mem.availMax, mem.n, mem.total)
	if avail > hi || avail > limit {
		t.Errorf("scraped available %.0f B above MemAvailable's range (up to %.0f B with slack) or the limit %.0f B", avail, hi, limit)
	}
	if limit == hostTotal && avail < lo {
		t.Errorf("scraped available %.0f B below MemAvailable's range (down to %.0f B with slack), with no cgroup bound", avail, lo)
	}
	if limit > hostTotal {
		t.Errorf("scraped limit %.0f B above MemTotal %.0f B", limit, hostTotal)
	}
	if math.Mod(limit, 1024) != 0 || math.Mod(avail, 1024) != 0 {
		t.Errorf("limit %.0f B, available %.0f B: not the whole kB /proc/meminfo and the cgroup files give", limit, avail)
	}
	if limit > hostTotal-(1<<20) && limit != hostTotal {
		t.Errorf("scraped limit %.0f B within 1 MiB of MemTotal %.0f B but not equal: rounded, not the source's bytes", limit, hostTotal)
	}

	checkCPURate(ctx, t, client, promAddr, stat, promOut)
}

// promInterval is Prometheus's scrape interval in the test: two scrapes
// are about this far apart.
const promInterval = 5 * time.Second

// checkCPURate generates CPU load between two consecutive scrapes and
// compares the busy share rate() gives over them with /proc/stat's at the
// same two instants.
func checkCPURate(ctx context.Context, t *testing.T, client *http.Client, promAddr string, stat *statLog, promOut *syncBuffer) {
	t.Helper()
	const busySeries = `restel_cpu_time_seconds_total{state="busy"}`
	// The scrape before the load: the newest busy sample now.
	first := waitSample(ctx, t, client, promAddr, busySeries, 0, promOut)

	// Load: one spinning goroutine (half of a 2-CPU machine), until a
	// scrape after first has been stored.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 0; ; n++ {
			if n%1_000_000 == 0 {
				select {
				case <-stop:
					return
				default:
				}
			}
		}
	})
	second := waitSample(ctx, t, client, promAddr, busySeries, first, promOut)
	close(stop)
	wg.Wait()
	stat.waitPast(ctx, t, time.UnixMilli(second.Milliseconds()))
	stat.stop()

	// rate() over a window holding exactly these two scrapes, evaluated
	// at the second: busy and idle share their timestamps, so the
	// extrapolation rate() applies cancels in the share.
	window := second - first + 500*time.Millisecond
	at := second
	busy := promQueryAt(ctx, t, client, promAddr, fmt.Sprintf(`rate(%s[%dms])`, busySeries, window.Milliseconds()), at)
	idle := promQueryAt(ctx, t, client, promAddr, fmt.Sprintf(`rate(restel_cpu_time_seconds_total{state="idle"}[%dms])`, window.Milliseconds()), at)
	got := 100 * busy / (busy + idle)

	b0, t0, ok0 := stat.at(time.UnixMilli(first.Milliseconds()))
	b1, t1, ok1 := stat.at(time.UnixMilli(second.Milliseconds()))
	if !ok0 || !ok1 || t1 <= t0 {
		t.Fatalf("no /proc/stat readings around the scrapes at %v and %v", first, second)
	}
	want := 100 * (b1 - b0) / (t1 - t0)
	t.Logf("scrapes %v apart: rate() busy %.4f/s idle %.4f/s, busy share %.2f %%; /proc/stat %.2f %%", second-first, busy, idle, got, want)
	if math.Abs(got-want) > 2 {
		t.Errorf("busy share from rate() %.2f %%, /proc/stat over the same scrapes %.2f %%: more than 2 points apart", got, want)
	}
	if cpus := float64(runtime.NumCPU()); busy+idle < 0.5*cpus || busy+idle > 1.5*cpus {
		t.Errorf("rate() of all CPU time %.3f s/s, want about the %v CPUs", busy+idle, cpus)
	}
}

// waitSample waits until Prometheus holds a sample of series newer than
// after (a Unix time, 0 for any) and returns its timestamp.
func waitSample(ctx context.Context, t *testing.T, client *http.Client, promAddr, series string, after time.Duration, promOut *syncBuffer) time.Duration {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ts, err := promLastTimestamp(ctx, client, promAddr, series)
		if err == nil && ts > after {
			return ts
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no sample of %s after %v before the deadline (last: %v, %v)\nprometheus output:\n%s", series, after, ts, err, promOut.String())
		case <-tick.C:
		}
	}
}

// promLastTimestamp returns the timestamp of series' newest stored sample
// (as a duration since the Unix epoch), 0 when there is none.
func promLastTimestamp(ctx context.Context, c *http.Client, addr, series string) (time.Duration, error) {
	var r struct {
		Data struct {
			Result []struct {
				Values [][2]json.RawMessage `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := promAPI(ctx, c, addr, series+"[1m]", time.Time{}, &r); err != nil {
		return 0, err
	}
	if len(r.Data.Result) != 1 || len(r.Data.Result[0].Values) == 0 {
		return 0, nil
	}
	v := r.Data.Result[0].Values
	var ts float64
	if err := json.Unmarshal(v[len(v)-1][0], &ts); err != nil {
		return 0, err
	}
	return time.Duration(math.Round(ts*1000)) * time.Millisecond, nil
}

// promQueryAt runs an instant query evaluated at at (since the Unix
// epoch) and returns its one sample's value, or fails.
func promQueryAt(ctx context.Context, t *testing.T, c *http.Client, addr, query string, at time.Duration) float64 {
	t.Helper()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := promAPI(ctx, c, addr, query, time.UnixMilli(at.Milliseconds()), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Data.Result) != 1 {
		t.Fatalf("query %q at %v: %d series, want 1", query, at, len(r.Data.Result))
	}
	var s string
	if err := json.Unmarshal(r.Data.Result[0].Value[1], &s); err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// promAPI runs an instant query (at a time unless at is zero) through
// Prometheus's HTTP API and decodes its answer into out after checking
// its status.
func promAPI(ctx context.Context, c *http.Client, addr, query string, at time.Time, out any) error {
	u := "http://" + addr + "/api/v1/query?query=" + url.QueryEscape(query)
	if !at.IsZero() {
		u += "&time=" + strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var st struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("%s: %v", resp.Status, err)
	}
	if st.Status != "success" {
		return fmt.Errorf("query %q: %s %s", query, st.Status, st.Error)
	}
	return json.Unmarshal(body, out)
}

// statLog reads /proc/stat's cpu line every few milliseconds from its
// own goroutine until stopped, keeping when each reading was taken.
type statLog struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	rs   []statReading
}

type statReading struct {
	at          time.Time
	busy, total float64 // USER_HZ ticks
}

func startStatLog(t *testing.T) *statLog {
	t.Helper()
	l := &statLog{done: make(chan struct{})}
	if _, _, err := readProcStat(); err != nil {
		t.Fatal(err)
	}
	l.wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			before := time.Now()
			busy, total, err := readProcStat()
			after := time.Now()
			if err == nil {
				l.mu.Lock()
				l.rs = append(l.rs, statReading{before.Add(after.Sub(before) / 2), busy, total})
				l.mu.Unlock()
			}
			select {
			case <-l.done:
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(l.stop)
	return l
}

func (l *statLog) stop() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
}

// waitPast waits until the log holds a reading taken after at.
func (l *statLog) waitPast(ctx context.Context, t *testing.T, at time.Time) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		l.mu.Lock()
		done := len(l.rs) > 0 && l.rs[len(l.rs)-1].at.After(at)
		l.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no /proc/stat reading after %v", at)
		case <-tick.C:
		}
	}
}

// at returns the counters at time at, interpolated between the readings
// around it; ok is false without readings on both sides.
func (l *statLog) at(at time.Time) (busy, total float64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, _ := slices.BinarySearchFunc(l.rs, at, func(r statReading, at time.Time) int { return r.at.Compare(at) })
	if i == 0 || i == len(l.rs) {
		return 0, 0, false
	}
	a, b := l.rs[i-1], l.rs[i]
	f := float64(at.Sub(a.at)) / float64(b.at.Sub(a.at))
	return a.busy + f*(b.busy-a.busy), a.total + f*(b.total-a.total), true
}

// readProcStat reads the cpu line of /proc/stat: total is user + nice +
// system + idle + iowait + irq + softirq + steal, busy is total less idle
// and iowait (docs/contract.md §2).
func readProcStat() (busy, total float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var v [8]float64
	for i := range v {
		if v[i], err = strconv.ParseFloat(f[i+1], 64); err != nil {
			return 0, 0, err
		}
		total += v[i]
	}
	return total - v[3] - v[4], total, nil
}

// startPrometheus starts a Prometheus server on a free loopback port that
// scrapes target every interval, and returns its address and its output.
func startPrometheus(t *testing.T, bin, target string, interval time.Duration) (string, *syncBuffer) {
	t.Helper()
	promAddr := freeLoopbackAddr(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `global:
  scrape_interval: %s
  scrape_timeout: %s
scrape_configs:
  - job_name: restel
    static_configs:
      - targets: [%q]
`, model(interval), model(interval-time.Second), target), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(bin,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
	)
	promOut := new(syncBuffer)
	prom.Stdout, prom.Stderr = promOut, promOut
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
	})
	return promAddr, promOut
}

// model writes d as a Prometheus duration ("5s", "1500ms").
func model(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

// promQuery runs an instant query through Prometheus's HTTP API and
// returns the value of its one sample; ok is false while the result is
// empty.
func promQuery(ctx context.Context, c *http.Client, addr, query string) (v float64, ok bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, false, fmt.Errorf("%s: %v", resp.Status, err)
	}
	if r.Status != "success" {
		return 0, false, fmt.Errorf("query %q: %s %s", query, r.Status, r.Error)
	}
	switch len(r.Data.Result) {
	case 0:
		return 0, false, nil
	case 1:
	default:
		return 0, false, fmt.Errorf("query %q: %d series, want 1", query, len(r.Data.Result))
	}
	var s string
	if err := json.Unmarshal(r.Data.Result[0].Value[1], &s); err != nil {
		return 0, false, err
	}
	v, err = strconv.ParseFloat(s, 64)
	return v, err == nil, err
}

// memSamples is the range of /proc/meminfo MemAvailable over the test.
type memSamples struct {
	n                  int
	availMin, availMax uint64
	total              uint64
}

func (m *memSamples) record(t *testing.T) {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var avail, total uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch {
		case err != nil:
		case k == "MemAvailable":
			avail = kb << 10
		case k == "MemTotal":
			total = kb << 10
		}
	}
	if avail == 0 || total == 0 {
		t.Fatalf("/proc/meminfo has no MemAvailable or MemTotal")
	}
	if m.n == 0 || avail < m.availMin {
		m.availMin = avail
	}
	m.availMax = max(m.availMax, avail)
	m.total = total
	m.n++
}

func (m *memSamples) availRange() (lo, hi float64) { return float64(m.availMin), float64(m.availMax) }

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
