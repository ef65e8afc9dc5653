package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/restel/restel/export"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider/native"
)

func init() {
	register(command{
		name:    "serve",
		summary: "serve the device's metrics on /metrics for Prometheus",
		usage:   serveUsage,
		run:     serveMain,
	})
}

const (
	serveUsage = "restel serve [--listen ADDR]"
	// defaultListen is the port the OpenTelemetry Prometheus exporter
	// uses, on loopback: exposing a device's metrics beyond it is a
	// choice the user makes with --listen.
	defaultListen = "127.0.0.1:9464"
	// shutdownTimeout bounds how long a signal waits for scrapes in flight.
	shutdownTimeout = 5 * time.Second
)

// serveMain implements `restel serve [--listen ADDR]` (docs/contract.md
// §6, §8): the metrics of package export on /metrics in the Prometheus
// text format, read from a Monitor on the native provider through its
// cached snapshot (one provider read per scrape at most, none when the
// cache is fresh). A busy or bad address, or one without a host, exits 2
// with one line on stderr; an address on every interface is served with a
// note saying so. Clients are bounded by serveLimits. SIGINT or SIGTERM
// shuts the server down gracefully and exits 0.
func serveMain(e env, args []string) int {
	fs := newFlagSet("serve")
	listen := fs.String("listen", defaultListen, "host:port to serve /metrics on (port 0 picks a free one)")
	if status, ok := parseFlags(e, fs, args); !ok {
		return status
	}
	if fs.NArg() > 0 {
		return usageErr(e, "serve: unexpected argument %q", fs.Arg(0))
	}
	ctx, stop := signal.NotifyContext(e.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := checkListen(*listen); err != nil {
		return usageErr(e, "serve: --listen %q: %v", *listen, err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return usageErr(e, "serve: %v", err)
	}
	defer ln.Close()
	if a, ok := ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		note(e, "serve: listening on every interface (%s): the metrics can be read from other machines", ln.Addr())
	}

	p, err := openProvider(native.Options{})
	if err != nil {
		note(e, "serve: %v", err)
		return 1
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close()
	}
	m := orchestrator.New(p, orchestrator.WithGetenv(e.getenv), orchestrator.WithLogger(cliLogger(e)))
	m.Prewarm() // the first scrape has thermal and battery
	defer m.Close()

	lim := serveLimitsNow()
	srv := newServer(e, metricsHandler(m), lim)
	note(e, "serve: metrics on http://%s/metrics", ln.Addr())
	return serveUntil(ctx, e, srv, newConnLimiter(ln, lim))
}

// checkListen refuses a --listen address without a host: ":9464" and ""
// would bind every interface without the user having said so.
func checkListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		if addr == "" {
			return errors.New("want HOST:PORT, such as 127.0.0.1:9464")
		}
		return err
	}
	if host == "" {
		return errors.New("no host: write 127.0.0.1 for this device only, or 0.0.0.0 or [::] for every interface")
	}
	return nil
}

// newServer returns the HTTP server of restel serve: h behind
// limitRequests, with lim's timeouts and header bound, and Go's own log
// lines sent through restel's warning form, rate-limited.
func newServer(e env, h http.Handler, lim serveLimits) *http.Server {
	return &http.Server{
		Handler:           limitRequests(h),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		WriteTimeout:      lim.write,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeaderBytes,
		ConnContext:       withConn,
		ErrorLog:          log.New(newLimitedLog(e, time.Now), "", 0),
	}
}

// serveUntil serves on ln until ctx ends, then shuts srv down, waiting
// at most shutdownTimeout for requests in flight. It returns 0 after a
// shutdown and 1 when serving failed.
func serveUntil(ctx context.Context, e env, srv *http.Server, ln net.Listener) int {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		note(e, "serve: %v", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close() // a scrape that outlived the timeout
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		note(e, "serve: %v", serr)
		return 1
	}
	return 0
}

// metricsHandler returns the server's routes: /metrics, and a one-line
// pointer to it at /.
func metricsHandler(src export.Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newPromCollector(src, export.DefaultMaxAge))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "restel: device metrics at /metrics\n")
	})
	return mux
}

// promCollector is a prometheus.Collector over the export table: each
// Collect makes one read of its source (an [export.Collector], which also
// keeps the counters monotonic, and reads the headroom of a source that
// has it beside the snapshot) and emits a constant metric for every value
// that read knows. Entries of [export.Metrics] that share a name (the
// states of restel_cpu_time_seconds_total) share one description, their
// points told apart by their labels; a metric with variable attributes
// (the limit that binds, a device's name) gets their values per point.
type promCollector struct {
	coll   *export.Collector
	descs  []*prometheus.Desc // per metric; shared by entries of one name
	types  []prometheus.ValueType
	labels [][]string // per metric: its constant labels' values
	vars   []int      // per metric: how many variable labels follow
}

func newPromCollector(src export.Source, maxAge time.Duration) *promCollector {
	tab := export.Metrics()
	c := &promCollector{coll: export.NewCollector(src, maxAge),
		descs:  make([]*prometheus.Desc, len(tab)),
		types:  make([]prometheus.ValueType, len(tab)),
		labels: make([][]string, len(tab)),
		vars:   make([]int, len(tab)),
	}
	byName := map[string]*prometheus.Desc{}
	for i, m := range tab {
		var keys []string
		for _, a := range m.Attrs {
			keys = append(keys, a.PromKey)
			c.labels[i] = append(c.labels[i], a.Value)
		}
		for _, a := range m.Vars {
			keys = append(keys, a.PromKey)
		}
		c.vars[i] = len(m.Vars)
		d, ok := byName[m.PromName]
		if !ok {
			d = prometheus.NewDesc(m.PromName, m.Description, keys, nil)
			byName[m.PromName] = d
		}
		c.descs[i] = d
		c.types[i] = prometheus.GaugeValue
		if m.Kind == export.Counter {
			c.types[i] = prometheus.CounterValue
		}
	}
	return c
}

// Describe sends every metric's description once.
func (c *promCollector) Describe(ch chan<- *prometheus.Desc) {
	for i, d := range c.descs {
		if i == 0 || c.descs[i-1] != d {
			ch <- d
		}
	}
}

// Collect reads the source once and sends the metrics it knows. A panic
// in the source fails the scrape with an error, not the server.
func (c *promCollector) Collect(ch chan<- prometheus.Metric) {
	defer func() {
		if r := recover(); r != nil {
			ch <- prometheus.NewInvalidMetric(c.descs[0], fmt.Errorf("reading the snapshot panicked: %v", r))
		}
	}()
	c.coll.CollectPoints(func(p export.Point) {
		labels := c.labels[p.I]
		if n := c.vars[p.I]; n > 0 {
			labels = append(labels[:len(labels):len(labels)], p.Vars[:n]...)
		}
		ch <- prometheus.MustNewConstMetric(c.descs[p.I], c.types[p.I], p.V, labels...)
	})
}
