// Package orchestrator is what an inference runtime embeds: a [Monitor]
// that serves the live snapshot on the hot path (docs/contract.md §1),
// per-run usage summaries ([Monitor.BeginRun]) sampled by one shared
// sampler per interval, a live subscription ([Monitor.Watch]), the
// host-pushed platform state of mobile hosts ([HostState]), the
// RESTEL_RESOURCE_TELEMETRY override ([Monitor.ModeFromEnv]) and a pipeline
// stage adapter ([Stage]). Package replay runs a scripted trace on a
// steered clock. The package links no platform code: the process-wide monitor on
// the running OS's provider is restel.Default.
//
// Telemetry never fails or slows the inference it observes: no method
// returns an error or panics because a provider failed, and a caller
// never waits for a provider longer than the read timeout, except for a
// provider restel vouches for (below).
//
// # One owner goroutine
//
// Each Monitor has one owner goroutine, started by the first use that
// needs it (a sampled run, a Watch, or the first read of a provider with
// slow signals) and stopped by [Monitor.Close]. It alone holds the
// schedule (each sampler's next tick, each slow signal's next poll and
// read deadline, a plain value that never reads the clock), every sampled
// run's aggregator, the Watch channels and the slow-signal readings;
// callers hand it requests over channels and wait for its reply, so no
// lock guards that state. Nothing calls into it from another goroutine:
// it learns that a run's context ended, or that a run's handle was
// collected without Finish or Close (a weak pointer), by asking at each
// tick and each delivery, so a run cancelled before a tick gets no sample
// of it.
//
// An in-flight run is a plain [aggregate.Aggregator] value in a small
// record on the owner's per-interval list, not an actor of its own: a
// tick folds the sample into each record with a function call, so a run
// costs no goroutine (a few kilobytes of stack, a scheduler wake-up per
// tick), no channel and no lock, only its record and a function call per
// tick (BENCHMARKS.md, Fanout, measures both with ten thousand runs in
// flight), and the aggregator stays the synchronous value it is
// everywhere else (replay, tests).
//
// The hot read does not involve the owner: the last snapshot is published
// with an atomic pointer store, and a cache hit is one atomic load and one
// clock read, with no lock and no allocation. A boundary run involves no
// owner either: its aggregator lives in its handle, touched only by
// BeginRun and Finish.
//
// # Where a provider is read
//
// Provider reads never run on the owner goroutine, so a hung provider
// never stalls it. A forced refresh — CurrentSnapshot(0), a cache miss, a
// run's start and end snapshots, each sampler tick — is one provider
// read, shared by every caller that asks while it is in flight:
//
//   - a provider restel vouches for (one of this module's own providers
//     on live kernel pseudo-files, checked once by [New]) is read on the caller's goroutine, without a deadline,
//     because its reads cannot block;
//   - any other provider — a custom one, one wrapped in another type, a
//     fixture tree, the fake — is read on a goroutine started for that
//     read, and every caller waits at most the read timeout (WithReadTimeout)
//     counted from the read's start; past it the caller gets the last
//     snapshot, or the all-unknown one.
//
// A provider that panics gives an all-unknown snapshot for that read; one
// that calls runtime.Goexit gives the last snapshot (or the all-unknown
// one), as a timeout does.
// The next read proceeds normally.
//
// Slow signals are a list (internal/slowsig): each is read on its own
// cadence on a goroutine started for that read, bounded by one deadline
// that its context carries and the owner acts on, and merged into every
// provider read through one merge function, from readings the owner
// publishes with an atomic pointer.
//
// A sampler tick whose read times out delivers nothing: runs and Watch
// channels get no sample rather than the last snapshot again, and the
// tick is counted in [Stats].SkippedTicks and, for each run it gave no
// sample, in that run's summary ([aggregate.Usage].SamplesSkipped, as are
// ticks that came late). Later ticks join the hung read
// instead of starting another. A slow-signal read past its timeout makes
// that signal unknown, counted in [Stats].SlowTimeouts, and no other read
// of it starts until it returns.
//
// A DebugLocal run's raw samples are written by a goroutine of that run's
// own ([stream.DebugWriter]), never by the owner goroutine nor by another
// run's caller: the owner only queues each sample, and a queue full
// because the filesystem blocks drops the sample ([Stats].DebugDropped).
// BeginRun waits at most the read timeout for the file to open; Finish
// waits at most the read timeout for the writer to finish; Close waits
// for the writers of the runs it ends until its deadline. A writer still
// blocked then is abandoned and counted ([Stats].DebugAbandoned), and its
// goroutine exits when the filesystem returns.
//
// # What Close waits for
//
// Close stops the owner goroutine and every goroutine it started, and
// cancels the reads in flight. It waits for those reads at most the read
// timeout: a read that outlives it (a provider ignoring its context) is
// abandoned and counted in [Stats].Abandoned. What leaks then is that
// read's goroutine, blocked inside the provider, with the provider and
// the snapshot it will return; when the provider returns, the goroutine
// exits without touching the closed monitor.
package orchestrator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/internal/snapcache"
	"github.com/restel/restel/internal/vouch"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// EnvMode is the environment variable whose value [ModeFromEnv] and
// [Monitor.ModeFromEnv] put over a program's mode (docs/contract.md §3).
const EnvMode = "RESTEL_RESOURCE_TELEMETRY"

// DefaultTTL is the cache age internal callers accept (docs/contract.md §1).
const DefaultTTL = 500 * time.Millisecond

// DefaultReadTimeout bounds how long a caller waits for a provider read.
const DefaultReadTimeout = 100 * time.Millisecond

// Default slow-signal cadences (docs/contract.md §2: thermal and battery
// are refreshed off the hot path on their own cadence).
const (
	DefaultThermalEvery = slowsig.ThermalEvery
	DefaultBatteryEvery = slowsig.BatteryEvery
	// slowTimeout bounds one slow-signal read (and never more than its
	// cadence).
	slowTimeout = time.Second
)

// watchBuffer is how many samples a Watch channel holds before the oldest
// is dropped.
const watchBuffer = 16

type config struct {
	readTimeout  time.Duration
	thermalEvery time.Duration
	batteryEvery time.Duration
	debugDir     string
	host         *HostState
	getenv       func(string) string
	logger       *slog.Logger
	ownProvider  bool
	inline       *bool // tests only: override the vouching

	// debugOpen opens a DebugLocal run's log in dir (tests: a sink whose
	// writes block); nil means stream.OpenDebugLog with the defaults.
	debugOpen func(dir string) (*stream.DebugLog, error)
}

// Option configures [New].
type Option func(*config)

// WithReadTimeout bounds how long any caller waits for a provider read
// (default [DefaultReadTimeout], 100 ms). Past it the caller gets the last
// snapshot, or the all-unknown one.
func WithReadTimeout(d time.Duration) Option { return func(c *config) { c.readTimeout = d } }

// WithThermalEvery sets the thermal polling cadence (default 2 s).
func WithThermalEvery(d time.Duration) Option { return func(c *config) { c.thermalEvery = d } }

// WithBatteryEvery sets the battery polling cadence (default 30 s).
func WithBatteryEvery(d time.Duration) Option { return func(c *config) { c.batteryEvery = d } }

// WithDebugDir sets where DebugLocal runs write raw samples (default
// [stream.DefaultDebugDir]).
func WithDebugDir(dir string) Option { return func(c *config) { c.debugDir = dir } }

// WithHost merges the host-pushed state h into every snapshot (default:
// none; restel.Default uses the process-wide restel.Host).
func WithHost(h *HostState) Option { return func(c *config) { c.host = h } }

// WithGetenv sets how [Monitor.ModeFromEnv] reads RESTEL_RESOURCE_TELEMETRY
// (default: the process environment, as os.Getenv, read without
// allocating while the value stays the same).
func WithGetenv(f func(string) string) Option { return func(c *config) { c.getenv = f } }

// WithLogger sets where warnings go (an invalid RESTEL_RESOURCE_TELEMETRY,
// an unwritable debug directory); default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithOwnProvider hands the provider to the monitor: [Monitor.Close] also
// closes it, when it is an io.Closer, once the reads in flight have
// returned or been abandoned. Without it the provider stays the caller's
// to close, after the monitor's Close. restel.Default builds its monitor
// with it, so closing the default monitor releases the native provider's
// files.
func WithOwnProvider() Option { return func(c *config) { c.ownProvider = true } }

// Monitor serves live snapshots and per-run summaries from one provider.
// It is safe for concurrent use. Create it with [New]; release it with
// [Monitor.Close]. Whoever builds a provider closes it: a Monitor closes
// its provider only when built [WithOwnProvider].
type Monitor struct {
	cfg   config
	p     provider.SnapshotProvider
	cache *snapcache.Cache

	slow []slowsig.Signal // the provider's slow signals, cadences resolved
	// capIdx is the capacity signal's index in slow (Headroom's source),
	// -1 when the provider reads neither its capacity nor accelerators;
	// capLimits reports that it reads its CPU and memory limits.
	capIdx    int
	capLimits bool
	// readings are the slow signals' latest readings (nil: unknown),
	// merged into every provider read. Atomic because the owner writes
	// them while any caller's read merges them.
	readings atomic.Pointer[[]slowsig.Reading]
	ready    chan struct{} // closed by the owner when the first slow reads have a result

	// state is idle, running or closed: the owner goroutine starts on the
	// first use that needs it (a monitor that only serves the cached read
	// of a provider without slow signals never has one) and Close must
	// know whether to stop it. Atomic because any caller may start it.
	state  atomic.Uint32
	reqs   chan request  // to the owner goroutine
	quit   chan struct{} // closed by Close: the owner takes no more requests
	exited chan struct{} // closed when the owner goroutine has returned
	done   chan struct{} // closed when the first Close has stored final
	// final is the owner's counters when Close stopped it. Atomic so that
	// Stats reads what Close stored without a lock.
	final atomic.Pointer[Stats]

	// env caches the parsed RESTEL_RESOURCE_TELEMETRY of ModeFromEnv.
	env envCache
	// debugOnce keeps the debug-file warning to one per monitor, from
	// whichever run's goroutine hits it first.
	debugOnce sync.Once

	// Debug writers' counters, added by whoever lets a writer go: Finish
	// on the run's goroutine, the owner for the runs it ends. Atomic
	// because both add to them.
	debugDropped, debugAbandoned atomic.Uint64
}

const (
	idle uint32 = iota
	running
	closed
)

// envMode caches the last parsed RESTEL_RESOURCE_TELEMETRY value.
type envMode struct {
	raw  string
	mode aggregate.Mode
	err  error
}

// ErrNoProvider is the read error of a Monitor built with a nil provider:
// every snapshot is all-unknown.
var ErrNoProvider = errors.New("orchestrator: no provider")

// New returns a monitor reading p. It starts no goroutine. It asks p once
// whether restel vouches for it (internal/vouch). A nil p gives
// all-unknown snapshots.
func New(p provider.SnapshotProvider, opts ...Option) *Monitor {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.readTimeout <= 0 {
		cfg.readTimeout = DefaultReadTimeout
	}
	if cfg.thermalEvery <= 0 {
		cfg.thermalEvery = DefaultThermalEvery
	}
	if cfg.batteryEvery <= 0 {
		cfg.batteryEvery = DefaultBatteryEvery
	}
	if cfg.getenv == nil {
		cfg.getenv = defaultGetenv
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if p == nil {
		p = Unavailable(ErrNoProvider)
	}
	m := &Monitor{
		cfg: cfg, p: p,
		ready: make(chan struct{}),
		reqs:  make(chan request), quit: make(chan struct{}), exited: make(chan struct{}),
		done: make(chan struct{}),
	}
	m.slow = slowsig.Of(p)
	m.capIdx = -1
	if sig, ok := slowsig.Capacity(p); ok {
		m.capIdx = len(m.slow)
		m.slow = append(m.slow, sig)
	}
	_, m.capLimits = p.(provider.CapacityReader)
	for i := range m.slow {
		switch m.slow[i].Name {
		case "thermal":
			m.slow[i].Every = cfg.thermalEvery
		case "battery":
			m.slow[i].Every = cfg.batteryEvery
		}
	}
	if m.slowless() {
		close(m.ready)
	}
	_, unavailable := p.(unknownProvider)
	inline := unavailable || vouch.For(p)
	if cfg.inline != nil {
		inline = *cfg.inline
	}
	var merge func(provider.Snapshot) provider.Snapshot
	if !m.slowless() {
		merge = m.mergeSlow
	}
	m.cache = snapcache.New(p, merge, cfg.readTimeout, inline)
	return m
}

// Unavailable returns a provider for when none can be had (an
// unsupported OS, no /proc): every read is the all-unknown snapshot and
// err. A Monitor reads it on the caller's goroutine, as it cannot block.
func Unavailable(err error) provider.SnapshotProvider { return unknownProvider{err} }

// unknownProvider yields all-unknown snapshots and its error.
type unknownProvider struct{ err error }

func (u unknownProvider) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Unknown(time.Now()), u.err
}

func (m *Monitor) slowless() bool { return len(m.slow) == 0 }

// mergeSlow merges the polled slow signals into a fresh read.
func (m *Monitor) mergeSlow(s provider.Snapshot) provider.Snapshot {
	if rs := m.readings.Load(); rs != nil {
		slowsig.Merge(&s, *rs)
	}
	return s
}

// start starts the owner goroutine once; it reports false when the
// monitor is closed.
func (m *Monitor) start() bool {
	switch m.state.Load() {
	case running:
		return true
	case closed:
		return false
	}
	if m.state.CompareAndSwap(idle, running) {
		go m.loop()
		return true
	}
	return m.state.Load() == running
}

// PrewarmSpacing is how long [Monitor.Prewarm] waits between its two
// reads when the first gives no CPU use yet (a provider's first read has
// no delta).
const PrewarmSpacing = 100 * time.Millisecond

// Prewarm makes the next snapshots complete and cheap: it starts the
// slow-signal polling, waits (at most the read timeout) for its first
// readings, and refreshes the cache. When that read gives no CPU use yet
// (the provider's first read: no delta), it waits [PrewarmSpacing] and
// reads again, so a CurrentSnapshot that accepts the cached snapshot then
// has cpu_pct whenever the provider reports CPU use. It blocks at most
// the read timeout, then PrewarmSpacing and a read timeout more (a
// provider restel vouches for reads in microseconds); it returns at once
// when the monitor closes. Safe to call repeatedly: a prewarmed monitor
// reads once.
func (m *Monitor) Prewarm() {
	if m == nil || m.state.Load() == closed {
		return
	}
	if !m.slowless() {
		if !m.start() {
			return
		}
		t := time.NewTimer(m.cfg.readTimeout)
		select {
		case <-m.ready:
		case <-t.C:
		case <-m.quit:
		}
		t.Stop()
	}
	if s := m.cache.Get(snapcache.Fast, 0); s.CPUPct.Valid {
		return
	}
	if _, unavailable := m.p.(unknownProvider); unavailable {
		return // no read will ever give CPU use
	}
	t := time.NewTimer(PrewarmSpacing)
	defer t.Stop()
	select {
	case <-t.C:
		m.cache.Get(snapcache.Fast, 0)
	case <-m.quit:
	}
}

// CurrentSnapshot returns a snapshot no older than maxAge (docs/contract.md
// §1); maxAge <= 0 forces a refresh. A cached read is lock-free and does
// not allocate; a refresh waits at most the read timeout (see the package
// doc for the one exception), after which the last snapshot (or the
// all-unknown one) is returned. Concurrent refreshes coalesce into one
// provider read. Host-pushed values are applied to every result, so a
// push is visible at once.
func (m *Monitor) CurrentSnapshot(maxAge time.Duration) (s provider.Snapshot) {
	m.snapshot(snapcache.Fast, maxAge, &s)
	return s
}

// RunSnapshot is CurrentSnapshot with the run counters (process CPU
// time, pressure stalls, CPU throttling, the RSS high-water mark; see
// [provider.Counters]) when the provider reports them
// ([provider.RunReader], whose method has the same name): the same TTL,
// coalescing and timeout rules, with a cache of its own, so the hot path
// never pays for the extra reads. A run's start and end snapshots are run
// snapshots; exporters that publish the stall and throttle counters read
// them too.
func (m *Monitor) RunSnapshot(maxAge time.Duration) (s provider.Snapshot) {
	m.snapshot(snapcache.Run, maxAge, &s)
	return s
}

// FullSnapshot is [Monitor.RunSnapshot], under the name
// export.FullSource asks for.
//
// Deprecated: use [Monitor.RunSnapshot], the name the provider's method
// has too.
func (m *Monitor) FullSnapshot(maxAge time.Duration) provider.Snapshot { return m.RunSnapshot(maxAge) }

// snapshot is CurrentSnapshot and RunSnapshot: it sets *s to the cache
// of kind k if fresh, a refresh otherwise, then applies the host-pushed
// values. (It writes through s rather than returning the snapshot so the
// cache hit copies it once.)
func (m *Monitor) snapshot(k snapcache.Kind, maxAge time.Duration, s *provider.Snapshot) {
	if m == nil {
		*s = provider.Unknown(time.Now())
		return
	}
	if p := m.cache.Fresh(k, maxAge); p != nil {
		*s = *p
	} else {
		*s = m.refresh(k, maxAge)
	}
	m.cfg.host.overlay(s)
}

// refresh is a cache miss; the first one starts the slow-signal polling.
func (m *Monitor) refresh(k snapcache.Kind, maxAge time.Duration) provider.Snapshot {
	if !m.slowless() && m.state.Load() == idle {
		m.start()
	}
	return m.cache.Refresh(k, maxAge)
}

// ModeFromEnv applies the RESTEL_RESOURCE_TELEMETRY override
// (docs/contract.md §3) to fallback, reading the variable through the
// monitor's getenv ([WithGetenv]) and warning through its logger: an
// unset or empty variable keeps fallback; a valid value replaces it; an
// invalid one logs a warning (once per distinct value) and keeps
// fallback. [Monitor.BeginRun] and [Stage] take the mode they are given;
// a program that lets the environment choose passes them
// m.ModeFromEnv(configured). A look-up of an unchanged value allocates
// nothing.
func (m *Monitor) ModeFromEnv(fallback aggregate.Mode) aggregate.Mode {
	if m == nil {
		return fallback
	}
	return m.env.apply(m.cfg.getenv, m.cfg.logger, fallback)
}

// processEnv is the environment cache of [ModeFromEnv].
var processEnv envCache

// ModeFromEnv applies the RESTEL_RESOURCE_TELEMETRY override
// (docs/contract.md §3) to fallback, as [Monitor.ModeFromEnv] does, for
// the process environment, warning through slog.Default.
func ModeFromEnv(fallback aggregate.Mode) aggregate.Mode {
	return processEnv.apply(defaultGetenv, slog.Default(), fallback)
}

// envCache caches the last parsed RESTEL_RESOURCE_TELEMETRY value.
// Atomic because every caller reads it without a lock.
type envCache struct{ p atomic.Pointer[envMode] }

// apply is ModeFromEnv with getenv and the logger given.
func (c *envCache) apply(getenv func(string) string, logger *slog.Logger, fallback aggregate.Mode) aggregate.Mode {
	raw := getenv(EnvMode)
	if raw == "" {
		return fallback
	}
	e := c.p.Load()
	if e == nil || e.raw != raw {
		e = &envMode{raw: raw}
		e.mode, e.err = aggregate.ParseMode(raw)
		if old := c.p.Swap(e); e.err != nil && (old == nil || old.raw != raw) {
			logger.Warn("restel: ignoring invalid "+EnvMode,
				"value", raw, "err", e.err, "mode", fallback.String())
		}
	}
	if e.err != nil {
		return fallback
	}
	return e.mode
}

// Stats counts what a monitor's reads did.
type Stats struct {
	// Reads counts provider reads (start and end snapshots, refreshes,
	// sampler ticks) and Errors those that failed; Panics counts reads
	// that panicked (also errors).
	Reads, Errors, Panics uint64
	// Timeouts counts callers that stopped waiting for a read.
	Timeouts uint64
	// Abandoned counts reads still running when Close stopped waiting,
	// and a provider Close (see WithOwnProvider) that did not return
	// within the read timeout.
	Abandoned uint64
	// Inline reports that reads run on the caller's goroutine: restel
	// vouches for the provider.
	Inline bool
	// SlowReads and SlowErrors count slow-signal reads (thermal, battery)
	// and those that failed (no sensor is not a failure). SlowTimeouts
	// counts those that outlived their timeout (also errors): the value
	// is then unknown until the read returns, and no other read of that
	// signal starts meanwhile.
	SlowReads, SlowErrors, SlowTimeouts uint64
	// SkippedTicks counts sampler ticks whose read timed out: they
	// deliver nothing to runs and Watch channels, rather than the last
	// snapshot again. While a read hangs, later ticks join it and are
	// skipped too; no second read starts.
	SkippedTicks uint64
	// Samplers is the number of running samplers (one per interval).
	Samplers int
	// WatchDropped counts the samples Watch channels dropped (the oldest
	// buffered ones) because their readers were slow.
	WatchDropped uint64
	// DebugDropped counts the DebugLocal raw samples of ended runs that
	// were not written: their writer was stuck in the filesystem (its
	// queue full), its file failed to open or reached its size bound, or
	// a write failed. DebugAbandoned counts the writers still blocked in
	// the filesystem when Finish or Close stopped waiting for them (at
	// most the read timeout); each exits when the filesystem lets it.
	DebugDropped, DebugAbandoned uint64
}

// Stats returns the monitor's counters.
func (m *Monitor) Stats() Stats {
	if m == nil {
		return Stats{}
	}
	c := m.cache.Stats()
	s := Stats{Reads: c.Reads, Errors: c.Errors, Panics: c.Panics, Timeouts: c.Timeouts, Abandoned: c.Abandoned, Inline: c.Inline,
		DebugDropped: m.debugDropped.Load(), DebugAbandoned: m.debugAbandoned.Load()}
	var o Stats
	switch m.state.Load() {
	case idle:
		return s
	case running:
		reply := make(chan Stats, 1)
		if m.send(request{op: opStats, stats: reply}) {
			o = <-reply
			s.Samplers = o.Samplers
			break
		}
		fallthrough // closed meanwhile
	default:
		<-m.done
		o = *m.final.Load()
	}
	s.SlowReads, s.SlowErrors, s.SlowTimeouts, s.SkippedTicks, s.WatchDropped = o.SlowReads, o.SlowErrors, o.SlowTimeouts, o.SkippedTicks, o.WatchDropped
	s.Abandoned += o.Abandoned
	s.DebugDropped, s.DebugAbandoned = m.debugDropped.Load(), m.debugAbandoned.Load() // the owner's Close adds to them
	return s
}

// send hands r to the owner goroutine; it reports false when the owner
// has stopped (or is stopping) and will not take it.
func (m *Monitor) send(r request) bool {
	select {
	case m.reqs <- r:
		return true
	case <-m.quit:
		return false
	}
}

// Close stops every sampler, the slow-signal polling and the provider
// reads in flight, closes Watch channels, and waits for all of them — a
// read at most the read timeout (see the package doc). Runs still in
// flight yield no summary, and runs begun afterwards yield none either;
// CurrentSnapshot keeps answering with the last snapshot. Close is safe to
// call more than once, concurrently, and on a monitor never used. Close
// returns nil; the error is for io.Closer.
func (m *Monitor) Close() error {
	if m == nil {
		return nil
	}
	prev := m.state.Swap(closed)
	if prev == closed {
		<-m.done // the first Close's wait, bounded as it is
		return nil
	}
	deadline := time.Now().Add(m.cfg.readTimeout)
	var final Stats
	var reply chan Stats
	if prev == running {
		reply = make(chan Stats, 1)
		m.reqs <- request{op: opClose, stats: reply, deadline: deadline} // a running owner always takes it
	}
	close(m.quit)
	m.cache.Close(deadline)
	if reply != nil {
		final = <-reply
		<-m.exited
	}
	if m.cfg.ownProvider && !m.closeProvider() {
		final.Abandoned++
	}
	m.final.Store(&final)
	close(m.done)
	return nil
}

// Closed reports whether Close has been called (false for a nil monitor,
// which is never closed).
func (m *Monitor) Closed() bool { return m != nil && m.state.Load() == closed }

// closeProvider closes the provider of a monitor built WithOwnProvider.
// A Close that does not return within the read timeout is abandoned (it
// reports false, counted in Stats.Abandoned); its goroutine exits when it
// returns.
func (m *Monitor) closeProvider() bool {
	c, ok := m.p.(io.Closer)
	if !ok {
		return true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }() // a panicking Close is the provider's, not the caller's
		_ = c.Close()
	}()
	t := time.NewTimer(m.cfg.readTimeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// openDebugLog starts a DebugLocal run's raw-sample writer, which opens
// the file (a mkdir, a directory listing for pruning, a file creation)
// and writes on its own goroutine. It waits for the open at most the read
// timeout: past it, the run goes on and its samples queue (then drop)
// until the open returns. It returns nil (a nil *DebugWriter ignores
// writes) after warning, once per monitor, when the open failed; it warns
// likewise when the open outlived the wait.
func (m *Monitor) openDebugLog() *stream.DebugWriter {
	open := m.cfg.debugOpen
	if open == nil {
		open = func(dir string) (*stream.DebugLog, error) { return stream.OpenDebugLog(dir, 0, 0) }
	}
	dir := m.cfg.debugDir
	w := stream.StartDebugWriter(func() (*stream.DebugLog, error) { return open(dir) })
	t := time.NewTimer(m.cfg.readTimeout)
	defer t.Stop()
	select {
	case <-w.Ready():
		if err := w.Err(); err != nil {
			<-w.Done() // it returns at once after a failed open
			m.debugOnce.Do(func() {
				m.cfg.logger.Warn("restel: debug_local raw samples not kept", "err", err)
			})
			return nil
		}
	case <-t.C:
		m.debugOnce.Do(func() {
			m.cfg.logger.Warn("restel: debug_local raw-sample file not open within the read timeout; samples are dropped while the filesystem blocks",
				"timeout", m.cfg.readTimeout.String())
		})
	}
	return w
}

// closeDebugLog lets a run's writer go from the run's own goroutine
// (Finish, or a BeginRun that lost a race with Close): it waits at most
// the read timeout for the writer to finish, then abandons it, counted.
func (m *Monitor) closeDebugLog(w *stream.DebugWriter) {
	if w == nil {
		return
	}
	if errors.Is(w.Close(m.cfg.readTimeout), stream.ErrDebugWriterStuck) {
		m.debugAbandoned.Add(1)
	}
	m.debugDropped.Add(w.Dropped())
}
