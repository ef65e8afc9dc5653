package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/restel/restel/export"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// benchMonitor returns a Monitor on a scripted device with a warm cache,
// and its provider, to count reads.
func benchMonitor(b *testing.B) (*orchestrator.Monitor, *fake.Provider) {
	tr, err := fake.Parse("device.trace", strings.NewReader("@0s cpu=40 rss=100 avail=3000 total=4000 thermal=warm battery=50\n"))
	if err != nil {
		b.Fatal(err)
	}
	p := fake.New(tr)
	m := orchestrator.New(p)
	b.Cleanup(func() { _ = m.Close() })
	m.CurrentSnapshot(0)
	return m, p
}

// withCPUTime is a Monitor whose full snapshots also carry the device's
// CPU time counters, which the scripted provider does not report, so a
// collection emits every metric of the table, the CPU time included.
type withCPUTime struct{ *orchestrator.Monitor }

func (w withCPUTime) FullSnapshot(maxAge time.Duration) provider.Snapshot {
	s := w.Monitor.RunSnapshot(maxAge)
	s.Counters.CPUBusy, s.Counters.CPUTotal = provider.Some(90*time.Second), provider.Some(360*time.Second)
	return s
}

// BenchmarkPromCollect is the collector's Collect on a fresh cache: one
// cached read plus building the constant metrics. reads/op must be 0.
func BenchmarkPromCollect(b *testing.B) {
	m, p := benchMonitor(b)
	c := newPromCollector(withCPUTime{m}, time.Hour)
	ch := make(chan prometheus.Metric, len(export.Table()))
	before := p.Reads()
	b.ReportAllocs()
	for b.Loop() {
		c.Collect(ch)
		for len(ch) > 0 {
			<-ch
		}
	}
	b.ReportMetric(float64(p.Reads()-before)/float64(b.N), "reads/op")
}

// BenchmarkScrape is a whole /metrics request through the handler
// (gather, encode in the text format), without the network.
func BenchmarkScrape(b *testing.B) {
	m, p := benchMonitor(b)
	h := metricsHandler(withCPUTime{m})
	before := p.Reads()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
	b.ReportMetric(float64(p.Reads()-before)/float64(b.N), "reads/op")
}

var sinkSnapshot provider.Snapshot

// BenchmarkHotRead is the inference hot path's read, CurrentSnapshot with
// the default TTL on a Monitor over a fake provider, alone and while 100
// goroutines scrape /metrics of that Monitor over loopback HTTP as fast
// as they can. ns/op is wall time, so it includes the CPU the scrapers
// take from the reader on a small machine; p50-ns/read is the median over
// batches of 256 reads, which a preemption rarely hits, so it shows
// whether scraping slows the read itself (contention on the cache).
func BenchmarkHotRead(b *testing.B) {
	for _, scrapers := range []int{0, 100} {
		b.Run("scrapers="+strconv.Itoa(scrapers), func(b *testing.B) {
			m, _ := benchMonitor(b)
			var scrapes atomic.Int64
			stop := startScrapers(b, m, scrapers, &scrapes)
			const batch = 256
			batches := make([]time.Duration, 0, 1<<16)
			n := 0
			b.ReportAllocs()
			start := time.Now()
			t0 := start
			for b.Loop() {
				sinkSnapshot = m.CurrentSnapshot(orchestrator.DefaultTTL)
				if n++; n%batch == 0 {
					t1 := time.Now()
					if len(batches) < cap(batches) {
						batches = append(batches, t1.Sub(t0))
					}
					t0 = t1
				}
			}
			elapsed := time.Since(start)
			stop()
			if len(batches) > 0 {
				slices.Sort(batches)
				b.ReportMetric(float64(batches[len(batches)/2].Nanoseconds())/batch, "p50-ns/read")
			}
			b.ReportMetric(float64(scrapes.Load())/elapsed.Seconds(), "scrapes/s")
		})
	}
}

// startScrapers starts n goroutines that GET /metrics of a server on m
// until the returned stop is called; stop waits for them and closes the
// server. Each has scraped once before startScrapers returns.
func startScrapers(b *testing.B, m *orchestrator.Monitor, n int, scrapes *atomic.Int64) (stop func()) {
	if n == 0 {
		return func() {}
	}
	srv := httptest.NewServer(metricsHandler(m))
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}
	client := &http.Client{Transport: tr}
	done := make(chan struct{})
	var wg, ready sync.WaitGroup
	ready.Add(n)
	get := func() bool {
		resp, err := client.Get(srv.URL + "/metrics")
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		scrapes.Add(1)
		return resp.StatusCode == 200
	}
	for range n {
		wg.Go(func() {
			ok := get()
			ready.Done()
			if !ok {
				return
			}
			for {
				select {
				case <-done:
					return
				default:
					get()
				}
			}
		})
	}
	ready.Wait()
	return func() {
		close(done)
		wg.Wait()
		tr.CloseIdleConnections()
		srv.Close()
	}
}
