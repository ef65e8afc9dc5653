package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPrometheusScrapesServe runs a real Prometheus server against a real
// `restel serve`: Prometheus scrapes it every second, and the available
// memory it stores, read back through its HTTP API, matches
// /proc/meminfo MemAvailable. Without a prometheus binary it skips, unless
// CI is set: CI installs Debian's prometheus package (.ci/run), so there
// a missing binary is a failure.
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

	_, restelAddr, _ := startServe(t)
	promAddr := freeLoopbackAddr(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: restel
    static_configs:
      - targets: [%q]
`, restelAddr), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(bin,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
	)
	var promOut syncBuffer
	prom.Stdout, prom.Stderr = &promOut, &promOut
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
	})

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(200 * time.Millisecond)
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
	// restel reports whole MiB, bounded by the process's cgroup: without
	// a cgroup bound (restel's total is the host's) the sample lies in
	// the readings' range; with one it can only be lower.
	const slack = 256 << 20 // other processes' allocations between two readings
	lo, hi := mem.availRange()
	lo, hi = lo-(1<<20)-slack, hi+slack
	hostTotal := float64(mem.total / (1 << 20) * (1 << 20))
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
}

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
