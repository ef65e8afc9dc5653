// Package orchestrator is what an inference runtime embeds: a [Monitor]
// that serves the live snapshot on the hot path (docs/contract.md §1), per-run usage
// summaries ([Monitor.BeginRun]) sampled by one shared sampler per
// interval, a live subscription ([Monitor.Watch]), the host-pushed
// platform state of mobile hosts ([HostState]), the
// RESTEL_RESOURCE_TELEMETRY override ([Monitor.Mode]) and a pipeline
// stage adapter ([Stage]). [Replay] runs a scripted trace on a steered
// clock.
//
// Telemetry never fails or slows the inference it observes: no method
// returns an error or panics because a provider failed, and a provider
// that could hang is waited for at most the read timeout (see below).
// Every goroutine a Monitor starts is owned by it: [Monitor.Close] stops
// them all and waits. Constructors start none; the first use does.
//
// # What a refresh costs
//
// A forced refresh — CurrentSnapshot(0), a cache miss, each run's start
// and end snapshot, each sampler tick — is one provider read, made where
// a hang cannot hold the caller ([stream.Cache]):
//
//   - a provider that is [provider.Bounded] (the native providers on the
//     live system: Linux procfs and cgroupfs, macOS and iOS sysctls and
//     Mach calls, Windows counters) cannot hang, so it is read on the
//     caller's goroutine. A refresh then costs one provider read plus
//     about a microsecond, and a boundary run about two reads (2.2× one
//     Linux /proc read, BENCHMARKS.md);
//   - any other provider (a custom one, a fixture tree, the fake) is read
//     on the cache's reader goroutine and the caller waits at most the
//     read timeout. The hand-off costs two goroutine switches — on a
//     2-vCPU Linux VM about 10 µs of cross-thread wake-up per read, so a
//     boundary run there costs about 3.9 reads.
//
// Either way concurrent refreshes coalesce into one read, and a caller
// that joins a read in flight waits at most the read timeout.
package orchestrator

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// EnvMode is the environment variable that overrides the configured mode
// (docs/contract.md §3), read by [Monitor.Mode].
const EnvMode = "RESTEL_RESOURCE_TELEMETRY"

// DefaultTTL is the cache age internal callers accept (docs/contract.md §1).
const DefaultTTL = 500 * time.Millisecond

// watchBuffer is how many samples a Watch channel holds before the oldest
// is dropped.
const watchBuffer = 16

type config struct {
	ttl          time.Duration
	readTimeout  time.Duration
	thermalEvery time.Duration
	batteryEvery time.Duration
	debugDir     string
	host         *HostState
	getenv       func(string) string
	logger       *slog.Logger
}

// Option configures [New].
type Option func(*config)

// WithTTL sets the cache age [Monitor.Snapshot] accepts (default 500 ms).
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithReadTimeout bounds how long any caller waits for a provider read
// (default [stream.DefaultReadTimeout], 100 ms). Past it the caller gets
// the last snapshot, or the all-unknown one.
func WithReadTimeout(d time.Duration) Option { return func(c *config) { c.readTimeout = d } }

// WithThermalEvery sets the thermal polling cadence (default 2 s).
func WithThermalEvery(d time.Duration) Option { return func(c *config) { c.thermalEvery = d } }

// WithBatteryEvery sets the battery polling cadence (default 30 s).
func WithBatteryEvery(d time.Duration) Option { return func(c *config) { c.batteryEvery = d } }

// WithDebugDir sets where DebugLocal runs write raw samples (default
// [stream.DefaultDebugDir]).
func WithDebugDir(dir string) Option { return func(c *config) { c.debugDir = dir } }

// WithHost sets the host-pushed state merged into every snapshot (default
// the process-wide [Host]).
func WithHost(h *HostState) Option { return func(c *config) { c.host = h } }

// WithGetenv sets how [Monitor.Mode] reads RESTEL_RESOURCE_TELEMETRY
// (default os.Getenv).
func WithGetenv(f func(string) string) Option { return func(c *config) { c.getenv = f } }

// WithLogger sets where warnings go (an invalid RESTEL_RESOURCE_TELEMETRY,
// an unwritable debug directory); default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Monitor serves live snapshots and per-run summaries from one provider.
// It is safe for concurrent use. Create it with [New] (or use [Default]);
// release it with [Monitor.Close]. A Monitor does not close its provider.
type Monitor struct {
	cfg    config
	p      provider.SnapshotProvider
	cache  *stream.Cache
	poller *stream.Poller // nil when p has no slow signal
	host   *HostState

	ctx    context.Context // cancelled by Close; parent of every actor
	cancel context.CancelFunc

	started atomic.Bool // background actors (the poller) started
	closed  atomic.Bool

	mu       sync.Mutex // guards samplers, watchers and the started/closed transitions
	samplers map[time.Duration]*sampler
	watchers map[*stream.ChanSink]func() bool // each Watch's sink and the stop of its AfterFunc
	wg       sync.WaitGroup                   // every goroutine the monitor starts

	env       atomic.Pointer[envMode]
	debugWarn atomic.Bool

	watchDropped atomic.Uint64 // samples ended watches dropped for slow readers
}

// sampler is the shared sampler of one interval and its users.
type sampler struct {
	interval time.Duration
	hub      stream.Hub
	users    int // runs and watchers attached; guarded by Monitor.mu
	cancel   context.CancelFunc
}

// envMode caches the last parsed RESTEL_RESOURCE_TELEMETRY value.
type envMode struct {
	raw  string
	mode aggregate.Mode
	err  error
}

// ErrNoProvider is the read error of a Monitor built with a nil provider:
// every snapshot is all-unknown.
var ErrNoProvider = errors.New("orchestrator: no provider")

// New returns a monitor reading p. It starts no goroutine: the first
// read starts the slow-signal poller (when p implements
// provider.ThermalReader or provider.BatteryReader) and the first sampled
// run or Watch starts a sampler. A nil p gives all-unknown snapshots.
func New(p provider.SnapshotProvider, opts ...Option) *Monitor {
	cfg := config{ttl: DefaultTTL}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.ttl <= 0 {
		cfg.ttl = DefaultTTL
	}
	if cfg.readTimeout <= 0 {
		cfg.readTimeout = stream.DefaultReadTimeout
	}
	if cfg.host == nil {
		cfg.host = Host()
	}
	if cfg.getenv == nil {
		cfg.getenv = os.Getenv
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if p == nil {
		p = unknownProvider{ErrNoProvider}
	}
	m := &Monitor{cfg: cfg, p: p, host: cfg.host, samplers: map[time.Duration]*sampler{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.poller = stream.NewPoller(p, stream.PollerOptions{
		ThermalEvery: cfg.thermalEvery,
		BatteryEvery: cfg.batteryEvery,
	})
	m.cache = stream.NewCache(merged{m}, cfg.readTimeout)
	return m
}

// unknownProvider yields all-unknown snapshots and its error.
type unknownProvider struct{ err error }

func (u unknownProvider) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Unknown(time.Now()), u.err
}

// merged is the provider the cache reads: the monitor's provider with the
// polled slow signals merged in. Reading it starts the poller.
type merged struct{ m *Monitor }

func (w merged) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	w.m.start()
	s, err := stream.SafeRead(ctx, w.m.p, provider.SystemClock{})
	return w.m.poller.Apply(s), err
}

// Bounded reports whether the monitor's provider is [provider.Bounded]:
// merging the polled slow signals in adds only atomic loads, so the
// cache may read on the caller's goroutine exactly when it may read the
// provider there.
func (w merged) Bounded() bool { return provider.IsBounded(w.m.p) }

// start starts the background actors once, unless the monitor is closed.
func (m *Monitor) start() {
	if m.started.Load() || m.poller == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started.Load() || m.closed.Load() {
		return
	}
	m.started.Store(true)
	m.wg.Go(func() { m.poller.Run(m.ctx) })
}

// Prewarm makes the next snapshots complete and cheap: it starts the
// slow-signal poller, waits (at most the read timeout) for its first
// readings, and refreshes the cache, which also gives CPU use its first
// delta. Safe to call repeatedly.
func (m *Monitor) Prewarm() {
	if m == nil || m.closed.Load() {
		return
	}
	m.start()
	if m.poller != nil {
		t := time.NewTimer(m.cfg.readTimeout)
		select {
		case <-m.poller.Ready():
		case <-t.C:
		case <-m.ctx.Done():
		}
		t.Stop()
	}
	m.cache.Get(0)
}

// CurrentSnapshot returns a snapshot no older than maxAge (docs/contract.md §1);
// maxAge <= 0 forces a refresh. A cached read is lock-free and does not
// allocate; a refresh waits at most the read timeout, after which the last
// snapshot (or the all-unknown one) is returned. Concurrent refreshes
// coalesce into one provider read. Host-pushed values are applied to every
// result, so a push is visible at once.
func (m *Monitor) CurrentSnapshot(maxAge time.Duration) provider.Snapshot {
	if m == nil {
		return provider.Unknown(time.Now())
	}
	return m.host.apply(m.cache.Get(maxAge))
}

// Snapshot returns CurrentSnapshot with the monitor's TTL (WithTTL,
// default 500 ms): what internal callers use.
func (m *Monitor) Snapshot() provider.Snapshot {
	if m == nil {
		return provider.Unknown(time.Now())
	}
	return m.CurrentSnapshot(m.cfg.ttl)
}

// Mode applies the RESTEL_RESOURCE_TELEMETRY override (docs/contract.md §3) to the
// configured mode: an unset or empty variable keeps configured; a valid
// value replaces it; an invalid one logs a warning (once per distinct
// value) and keeps configured.
func (m *Monitor) Mode(configured aggregate.Mode) aggregate.Mode {
	if m == nil {
		return configured
	}
	raw := m.cfg.getenv(EnvMode)
	if raw == "" {
		return configured
	}
	e := m.env.Load()
	if e == nil || e.raw != raw {
		e = &envMode{raw: raw}
		e.mode, e.err = aggregate.ParseMode(raw)
		if old := m.env.Swap(e); e.err != nil && (old == nil || old.raw != raw) {
			m.cfg.logger.Warn("restel: ignoring invalid "+EnvMode,
				"value", raw, "err", e.err, "mode", configured.String())
		}
	}
	if e.err != nil {
		return configured
	}
	return e.mode
}

// Stats counts what a monitor's reads did.
type Stats struct {
	// Cache counts hot-path provider reads, errors, panics and callers
	// that stopped waiting.
	Cache stream.CacheStats
	// SlowReads and SlowErrors count slow-signal reads (thermal, battery)
	// and those that failed (no sensor is not a failure).
	SlowReads, SlowErrors uint64
	// Samplers is the number of running samplers (one per interval).
	Samplers int
	// WatchDropped counts the samples Watch channels dropped (the oldest
	// buffered ones) because their readers were slow.
	WatchDropped uint64
}

// Stats returns the monitor's counters.
func (m *Monitor) Stats() Stats {
	if m == nil {
		return Stats{}
	}
	s := Stats{Cache: m.cache.Stats()}
	if m.poller != nil {
		s.SlowReads, s.SlowErrors = m.poller.Stats()
	}
	m.mu.Lock()
	s.Samplers = len(m.samplers)
	s.WatchDropped = m.watchDropped.Load()
	for w := range m.watchers {
		s.WatchDropped += w.Dropped()
	}
	m.mu.Unlock()
	return s
}

// attach adds sink to the sampler of interval, starting the sampler if it
// is the first user. It returns the sampler and the subscription, or nil
// when the monitor is closed.
func (m *Monitor) attach(interval time.Duration, sink stream.Sink) (*sampler, *stream.Subscription) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		return nil, nil
	}
	s := m.samplers[interval]
	if s == nil {
		s = &sampler{interval: interval}
		ctx, cancel := context.WithCancel(m.ctx)
		s.cancel = cancel
		m.samplers[interval] = s
		act := stream.Sampler{Interval: interval, Read: m.sample, Hub: &s.hub}
		m.wg.Go(func() { act.Run(ctx) })
	}
	s.users++
	return s, s.hub.Subscribe(sink)
}

// detach cancels sub and stops its sampler when it was the last user.
func (m *Monitor) detach(s *sampler, sub *stream.Subscription) {
	if s == nil || !sub.Cancel() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s.users--
	if s.users == 0 {
		s.cancel()
		if m.samplers[s.interval] == s {
			delete(m.samplers, s.interval)
		}
	}
}

// sample is the samplers' read: a forced, bounded refresh.
func (m *Monitor) sample(context.Context) provider.Snapshot {
	return m.CurrentSnapshot(0)
}

// Watch returns a channel of live snapshots, one per interval (clamped to
// [aggregate.MinInterval]; <= 0 means [aggregate.DefaultInterval]) from the
// sampler shared with runs of that interval. A slow reader loses the
// oldest buffered samples, never blocking the sampler. The channel is
// closed when ctx is done or the monitor closes (at once if either
// already happened).
func (m *Monitor) Watch(ctx context.Context, interval time.Duration) <-chan provider.Snapshot {
	if ctx == nil {
		ctx = context.Background()
	}
	if interval <= 0 {
		interval = aggregate.DefaultInterval
	}
	interval = max(interval, aggregate.MinInterval)
	sink := stream.NewChanSink(watchBuffer)
	if m == nil || ctx.Err() != nil {
		sink.Close()
		return sink.C()
	}
	m.mu.Lock()
	if m.closed.Load() {
		m.mu.Unlock()
		sink.Close()
		return sink.C()
	}
	if m.watchers == nil {
		m.watchers = map[*stream.ChanSink]func() bool{}
	}
	m.watchers[sink] = nil
	m.mu.Unlock()
	m.start()
	s, sub := m.attach(interval, sink)
	if s == nil { // closed meanwhile: Close closed the sink
		return sink.C()
	}
	stop := context.AfterFunc(ctx, func() {
		m.detach(s, sub)
		m.mu.Lock()
		if _, ok := m.watchers[sink]; ok {
			delete(m.watchers, sink)
			m.watchDropped.Add(sink.Dropped())
		}
		m.mu.Unlock()
		sink.Close()
	})
	m.mu.Lock()
	if _, ok := m.watchers[sink]; ok {
		m.watchers[sink] = stop // for Close
	} else {
		stop() // Close (or the AfterFunc itself) came first
	}
	m.mu.Unlock()
	return sink.C()
}

// Close stops every sampler, the slow-signal poller and any provider read
// in flight, closes Watch channels, and waits for all of them. Runs still
// in flight yield no summary, and runs begun afterwards yield none either;
// CurrentSnapshot keeps answering with the last snapshot. Close is safe to
// call more than once, concurrently, and on a monitor never used. A
// provider that ignores its context (against the provider contract) keeps
// Close waiting until its read returns. Close returns nil; the error is
// for io.Closer.
func (m *Monitor) Close() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	m.closed.Store(true)
	stopped := make([]*sampler, 0, len(m.samplers))
	for _, s := range m.samplers {
		s.cancel()
		stopped = append(stopped, s)
	}
	clear(m.samplers)
	for w, stop := range m.watchers {
		if stop != nil {
			stop() // unregister from the caller's context
		}
		w.Close()
		m.watchDropped.Add(w.Dropped())
	}
	clear(m.watchers)
	m.mu.Unlock()
	m.cancel()
	m.cache.Close()
	m.wg.Wait()
	// The samplers are gone: discard the runs still attached, so that
	// their debug files close and their contexts let go of them.
	for _, s := range stopped {
		for _, sink := range s.hub.Drain() {
			if r, ok := sink.(*runSink); ok {
				(*runState)(r).discard()
			}
		}
	}
	return nil
}

// openDebugLog opens a DebugLocal run's raw-sample file, or returns nil
// (a nil *DebugLog ignores writes) after warning, once per monitor, why
// it cannot. It runs on the caller of BeginRun: a mkdir, a directory
// listing for pruning and a file creation.
func (m *Monitor) openDebugLog() *stream.DebugLog {
	dir := m.cfg.debugDir
	var err error
	if dir == "" {
		dir, err = stream.DefaultDebugDir()
	}
	var l *stream.DebugLog
	if err == nil {
		l, err = stream.OpenDebugLog(dir, 0, 0)
	}
	if err != nil {
		if !m.debugWarn.Swap(true) {
			m.cfg.logger.Warn("restel: debug_local raw samples not kept", "err", err)
		}
		return nil
	}
	return l
}
