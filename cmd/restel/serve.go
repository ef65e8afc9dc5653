package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// readHeaderTimeout bounds how long a client may take to send a
	// request's headers.
	readHeaderTimeout = 10 * time.Second
)

// serveIdleTimeout is how long a keep-alive connection may sit idle
// between requests before the server closes it: long enough for a
// scraper on a 15 s or 30 s interval to reuse its connection, short
// enough that idle or abandoned connections do not pile up. Tests shorten
// it.
var serveIdleTimeout = 60 * time.Second

// serveMain implements `restel serve [--listen ADDR]` (docs/contract.md
// §6, §8): the metrics of package export on /metrics in the Prometheus
// text format, read from a Monitor on the native provider through its
// cached snapshot (one provider read per scrape at most, none when the
// cache is fresh). A busy or bad address exits 2 with one line on stderr;
// SIGINT or SIGTERM shuts the server down gracefully and exits 0.
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

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return usageErr(e, "serve: %v", err)
	}
	defer ln.Close()

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

	srv := &http.Server{Handler: metricsHandler(m), ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: serveIdleTimeout}
	note(e, "serve: metrics on http://%s/metrics", ln.Addr())
	return serveUntil(ctx, e, srv, ln)
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
// Collect makes one read of its source ([export.Read]) and emits a
// constant metric for every value that read knows.
type promCollector struct {
	src    export.Source
	maxAge time.Duration
	descs  []*prometheus.Desc
	types  []prometheus.ValueType
	labels [][]string
}

func newPromCollector(src export.Source, maxAge time.Duration) *promCollector {
	tab := export.Table()
	c := &promCollector{src: src, maxAge: maxAge,
		descs:  make([]*prometheus.Desc, len(tab)),
		types:  make([]prometheus.ValueType, len(tab)),
		labels: make([][]string, len(tab)),
	}
	for i, m := range tab {
		var keys []string
		for _, a := range m.Attrs {
			keys = append(keys, a.PromKey)
			c.labels[i] = append(c.labels[i], a.Value)
		}
		c.descs[i] = prometheus.NewDesc(m.PromName, m.Description, keys, nil)
		c.types[i] = prometheus.GaugeValue
		if m.Kind == export.Counter {
			c.types[i] = prometheus.CounterValue
		}
	}
	return c
}

// Describe sends every metric's description.
func (c *promCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
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
	export.Collect(c.src, c.maxAge, func(i int, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[i], c.types[i], v, c.labels[i]...)
	})
}
