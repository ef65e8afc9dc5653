package nvml

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/provider"
)

// lib is the part of the NVML C API the reader calls, one method per
// function, returning its nvmlReturn_t. The platform shim implements it
// over the loaded library; tests implement it in Go as well.
type lib interface {
	init() int32                                   // nvmlInit_v2
	shutdown() int32                               // nvmlShutdown
	deviceCount(n *uint32) int32                   // nvmlDeviceGetCount_v2
	handleByIndex(i uint32, h *uintptr) int32      // nvmlDeviceGetHandleByIndex_v2
	name(h uintptr, buf []byte) int32              // nvmlDeviceGetName
	memoryInfo(h uintptr, buf []byte) int32        // nvmlDeviceGetMemoryInfo
	utilization(h uintptr, buf []byte) int32       // nvmlDeviceGetUtilizationRates
	temperature(h uintptr, celsius *uint32) int32  // nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)
	clockReasons(h uintptr, reasons *uint64) int32 // nvmlDeviceGetCurrentClocksEventReasons (or ...ThrottleReasons)
	// processes calls the newest nvmlDeviceGetComputeRunningProcesses
	// the library has (_v3, _v2, then the original) with room for
	// len(buf)/stride entries in *count, and returns the stride of its
	// nvmlProcessInfo entries.
	processes(h uintptr, count *uint32, buf []byte) (stride int, ret int32)
}

// Option configures [Open].
type Option func(*config)

type config struct {
	library string
	pid     int
	procfs  string
	timeout time.Duration
}

// WithLibrary sets the NVML library to load: a path, or a name the
// system's loader searches for. The default is libnvidia-ml.so.1 on Linux
// (the soname the driver installs) and nvml.dll from the system directory
// on Windows, falling back to the NVSMI directory older drivers used.
func WithLibrary(path string) Option { return func(c *config) { c.library = path } }

// WithPID sets whose device memory [Reader.Accelerators] reports as
// ProcessMemMB (default, or 0: the calling process).
func WithPID(pid int) Option { return func(c *config) { c.pid = pid } }

// WithProcFS sets the procfs root the PID-namespace check reads on Linux
// (default "/proc").
func WithProcFS(dir string) Option { return func(c *config) { c.procfs = dir } }

// WithTimeout bounds each read, whatever its context allows (default
// [DefaultTimeout]).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// DefaultTimeout bounds a read when [WithTimeout] is not given. It leaves
// room for the first read's nvmlInit_v2, which wakes every GPU of a
// machine without persistence mode and can take seconds.
const DefaultTimeout = 5 * time.Second

// maxDevices bounds the devices one read lists; NVML supports far fewer.
const maxDevices = 256

// Device names one NVML device of the last read.
type Device struct {
	// Name is the Accelerator's name, "nvidia" and the NVML index
	// ("nvidia0"): the order NVML enumerates (PCI bus order by default,
	// CUDA_VISIBLE_DEVICES does not apply), which need not match the
	// minor number of /dev/nvidia<N>.
	Name string
	// Product is the product name nvmlDeviceGetName returns
	// ("NVIDIA GeForce RTX 4090"), empty when it could not be read.
	Product string
}

// Reader reads NVIDIA GPUs through NVML and implements
// provider.AcceleratorReader. Create it with [Open], release it with
// [Reader.Close]. It is safe for concurrent use; reads run one at a time.
type Reader struct {
	lib      lib
	timeout  time.Duration
	pids     map[uint32]struct{} // the observed process, for Accelerators
	hostPIDs bool                // NVML's PIDs are this process's (see hostPIDNamespace)

	// sem is held by the goroutine of the read in flight, from before it
	// starts until its last NVML call has returned: NVML is called by one
	// goroutine at a time, and a call that hangs holds it.
	sem chan struct{}
	// Owned by the goroutine holding sem.
	initialized bool
	dr          deviceReader

	mu       sync.Mutex // guards everything below
	closed   bool
	shut     bool // nvmlShutdown called (or no longer to be called)
	inflight bool // a read goroutine is running
	hung     bool // the running read was abandoned by its caller
	devices  []Device

	abandoned atomic.Uint64
}

// Compile-time check of the capability a Reader offers.
var _ provider.AcceleratorReader = (*Reader)(nil)

// Open loads NVML and returns a Reader of the machine's NVIDIA GPUs. It
// does not initialize NVML (the first read does, within its deadline) and
// starts no goroutine. A library that cannot be loaded, or lacks one of
// the functions the reader needs, is an error wrapping
// provider.ErrUnavailable: the machine has no usable NVIDIA driver. On a
// system without NVML support (macOS, iOS, Android, other
// architectures) the error also wraps errors.ErrUnsupported.
//
// The library stays loaded for the life of the process: a call that hung
// may still be running inside it.
func Open(opts ...Option) (*Reader, error) {
	c := config{pid: 0, procfs: "/proc", timeout: DefaultTimeout}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.pid < 0 || uint64(c.pid) > math.MaxUint32 {
		return nil, fmt.Errorf("nvml: %w: pid %d", provider.ErrInvalid, c.pid)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("nvml: %w: timeout %v (want > 0)", provider.ErrInvalid, c.timeout)
	}
	if c.pid == 0 {
		c.pid = os.Getpid()
	}
	l, err := openLib(c.library)
	if err != nil {
		return nil, err
	}
	return newReader(l, c), nil
}

// newReader builds a Reader over l; Open's checks are done.
func newReader(l lib, c config) *Reader {
	r := &Reader{
		lib:     l,
		timeout: c.timeout,
		pids:    map[uint32]struct{}{uint32(c.pid): {}},
		sem:     make(chan struct{}, 1),
	}
	if pidNamespaces {
		// An unreadable namespace leaves hostPIDs false: per-process
		// memory is then unknown, never another process's.
		r.hostPIDs, _ = readHostPIDNamespace(c.procfs)
	} else {
		r.hostPIDs = true
	}
	return r
}

// HostPIDs reports whether this process sees the PIDs NVML reports (the
// host's), so per-process memory can be read; see the package doc.
func (r *Reader) HostPIDs() bool { return r.hostPIDs }

// Abandoned returns the number of reads whose NVML call had not returned
// by the read's deadline. The call is left running on its goroutine; until
// it returns, reads fail at once instead of stacking up behind it.
func (r *Reader) Abandoned() uint64 { return r.abandoned.Load() }

// Devices returns the NVML devices of the last read that listed them.
func (r *Reader) Devices() []Device {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Device(nil), r.devices...)
}

// Accelerators implements provider.AcceleratorReader: it appends one
// Accelerator per NVML device, with the observed process's device memory
// (see [WithPID]) as ProcessMemMB.
func (r *Reader) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return r.read(ctx, dst, r.pids)
}

// AcceleratorsOf is Accelerators with ProcessMemMB summed over the
// processes pids (a process tree, as `restel run` observes), given as
// this process sees them. PIDs that are not positive are ignored.
func (r *Reader) AcceleratorsOf(ctx context.Context, dst []provider.Accelerator, pids []int) ([]provider.Accelerator, error) {
	set := make(map[uint32]struct{}, len(pids))
	for _, p := range pids {
		if p > 0 && uint64(p) <= math.MaxUint32 {
			set[uint32(p)] = struct{}{}
		}
	}
	return r.read(ctx, dst, set)
}

// result is what a read goroutine hands back.
type result struct {
	accels  []provider.Accelerator
	devices []Device
	err     error
}

// errHung is the error of a read started while an abandoned call is still
// running.
var errHung = fmt.Errorf("nvml: %w: an NVML call abandoned at an earlier deadline has not returned", provider.ErrUnavailable)

// read runs one read on a goroutine of its own and waits for it or the
// deadline, whichever comes first.
func (r *Reader) read(ctx context.Context, dst []provider.Accelerator, pids map[uint32]struct{}) ([]provider.Accelerator, error) {
	if err := r.usable(); err != nil {
		return dst, err
	}
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("nvml: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return dst, fmt.Errorf("nvml: waiting for the read in flight: %w", ctx.Err())
	}
	r.mu.Lock()
	if err := r.usableLocked(); err != nil {
		r.mu.Unlock()
		<-r.sem
		return dst, err
	}
	r.inflight = true
	r.mu.Unlock()
	if !r.hostPIDs {
		pids = nil
	}
	done := make(chan result, 1)
	go r.work(pids, done)
	select {
	case res := <-done:
		return r.deliver(dst, res)
	case <-ctx.Done():
	}
	r.mu.Lock()
	if !r.inflight { // it finished as the deadline passed
		r.mu.Unlock()
		return r.deliver(dst, <-done)
	}
	r.hung = true
	r.mu.Unlock()
	r.abandoned.Add(1)
	return dst, fmt.Errorf("nvml: %w: the driver did not answer in time, call abandoned: %w", provider.ErrUnavailable, ctx.Err())
}

// usable returns the error of a read that cannot start: the reader is
// closed, or an abandoned call still holds NVML.
func (r *Reader) usable() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.usableLocked()
}

func (r *Reader) usableLocked() error {
	switch {
	case r.closed:
		return provider.ErrClosed
	case r.hung:
		return errHung
	}
	return nil
}

// deliver appends a finished read's devices to dst.
func (r *Reader) deliver(dst []provider.Accelerator, res result) ([]provider.Accelerator, error) {
	if res.devices != nil {
		r.mu.Lock()
		r.devices = res.devices
		r.mu.Unlock()
	}
	return append(dst, res.accels...), res.err
}

// work is the goroutine of one read: it holds sem, calls NVML, hands the
// result over, and shuts NVML down if the reader was closed meanwhile. A
// panic in a call (a foreign-call shim's) is a failed read.
func (r *Reader) work(pids map[uint32]struct{}, done chan<- result) {
	var res result
	defer func() {
		if p := recover(); p != nil {
			res = result{err: fmt.Errorf("nvml: %w: NVML call panicked: %v", provider.ErrUnavailable, p)}
		}
		r.mu.Lock()
		r.inflight, r.hung = false, false
		done <- res
		shut := r.closed && !r.shut
		r.shut = r.shut || shut
		r.mu.Unlock()
		if shut {
			r.shutdownHeld()
		}
		<-r.sem
	}()
	res = r.collect(pids)
}

// shutdownHeld calls nvmlShutdown if nvmlInit_v2 succeeded; the caller
// holds sem. A panic is swallowed: there is no one left to tell.
func (r *Reader) shutdownHeld() {
	defer func() { _ = recover() }()
	if r.initialized {
		r.initialized = false
		r.lib.shutdown()
	}
}

// Close releases NVML (nvmlShutdown). A read in flight is not waited for:
// its goroutine calls nvmlShutdown when its NVML call returns, and Close
// returns at once. Otherwise Close waits for nvmlShutdown up to the read
// timeout and abandons it past that. Closing twice is a no-op; reads after
// Close return provider.ErrClosed.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	if r.inflight {
		r.mu.Unlock()
		return nil
	}
	r.shut = true
	r.mu.Unlock()
	// No read is in flight and none can start: a finishing read releases
	// sem without calling NVML again.
	r.sem <- struct{}{}
	done := make(chan struct{})
	go func() {
		defer func() { <-r.sem; close(done) }()
		r.shutdownHeld()
	}()
	t := time.NewTimer(r.timeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		r.abandoned.Add(1)
		return fmt.Errorf("nvml: %w: nvmlShutdown did not return in %v, abandoned", provider.ErrUnavailable, r.timeout)
	}
}

// collect reads every device; it runs on the goroutine holding sem. pids
// nil leaves ProcessMemMB unknown.
func (r *Reader) collect(pids map[uint32]struct{}) result {
	l := r.lib
	if !r.initialized {
		if err := retError("nvmlInit_v2", l.init()); err != nil {
			return result{err: err}
		}
		r.initialized = true
	}
	var n uint32
	if err := retError("nvmlDeviceGetCount_v2", l.deviceCount(&n)); err != nil {
		return result{err: err}
	}
	var errs []error
	if n > maxDevices {
		errs = append(errs, fmt.Errorf("nvml: %w: %d devices, reading the first %d", provider.ErrInvalid, n, maxDevices))
		n = maxDevices
	}
	res := result{
		accels:  make([]provider.Accelerator, 0, n),
		devices: make([]Device, 0, n),
	}
	for i := uint32(0); i < n; i++ {
		a, product, err := r.dr.read(l, i, pids)
		res.accels = append(res.accels, a)
		res.devices = append(res.devices, Device{Name: a.Name, Product: product})
		if err != nil {
			errs = append(errs, err)
		}
	}
	res.err = errors.Join(errs...)
	return res
}

// deviceReader reads one device at a time, keeping the buffers between
// devices.
type deviceReader struct {
	buf   [nameSize]byte
	procs []byte
	errs  []error
}

// maxProcesses bounds the process list of one device.
const maxProcesses = 4096

// read reads device i. A failed call leaves its fields unknown and adds
// its error; a lost device keeps its identity only.
func (d *deviceReader) read(l lib, i uint32, pids map[uint32]struct{}) (provider.Accelerator, string, error) {
	a := provider.Accelerator{Name: "nvidia" + strconv.FormatUint(uint64(i), 10), Driver: "nvidia", Kind: provider.AccelGPU}
	d.errs = d.errs[:0]
	var h uintptr
	if err := retError("nvmlDeviceGetHandleByIndex_v2", l.handleByIndex(i, &h)); err != nil {
		return a, "", fmt.Errorf("%s: %w", a.Name, err)
	}
	var product string
	clear(d.buf[:])
	if d.note(retError("nvmlDeviceGetName", l.name(h, d.buf[:]))) {
		product = cString(d.buf[:])
	}
	clear(d.buf[:memorySize])
	switch ret := l.memoryInfo(h, d.buf[:memorySize]); ret {
	case retNotSupported:
		// No framebuffer of its own (an integrated Tegra or Grace GPU):
		// its memory is the host's.
		a.Unified = true
	default:
		if !d.note(retError("nvmlDeviceGetMemoryInfo", ret)) {
			break
		}
		m, err := decodeMemory(d.buf[:memorySize])
		if !d.note(err) {
			break
		}
		if m.total == 0 {
			a.Unified = true
			break
		}
		a.MemTotalMB = provider.Some(m.total >> 20)
		a.MemUsedMB = provider.Some(m.used >> 20)
	}
	clear(d.buf[:utilizationSize])
	if d.note(retError("nvmlDeviceGetUtilizationRates", l.utilization(h, d.buf[:utilizationSize]))) {
		if pct, err := decodeUtilization(d.buf[:utilizationSize]); d.note(err) {
			a.BusyPct = provider.Some(pct)
		}
	}
	var temp uint32
	if d.note(retError("nvmlDeviceGetTemperature", l.temperature(h, &temp))) {
		if temp <= maxTempC {
			a.TempC = provider.Some(float64(temp))
		} else {
			d.note(fmt.Errorf("nvml: %w: temperature %d °C", provider.ErrInvalid, temp))
		}
	}
	var reasons uint64
	if d.note(retError("nvmlDeviceGetCurrentClocksEventReasons", l.clockReasons(h, &reasons))) {
		a.Throttling = provider.Some(throttling(reasons))
	}
	if pids != nil {
		if mb, ok := d.processMemory(l, h, pids); ok {
			a.ProcessMemMB = provider.Some(mb)
		}
	}
	var err error
	if len(d.errs) > 0 {
		err = fmt.Errorf("%s: %w", a.Name, errors.Join(d.errs...))
	}
	return a, product, err
}

// maxTempC bounds a plausible GPU temperature.
const maxTempC = 200

// note records err and reports whether it was nil. NOT_SUPPORTED is not
// recorded: the device simply does not have the signal.
func (d *deviceReader) note(err error) bool {
	if err == nil {
		return true
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		d.errs = append(d.errs, err)
	}
	return false
}

// processMemory sums the device memory of the processes pids hold on
// device h, in MiB; not ok when the list cannot be read or a matching
// process's memory is not available.
func (d *deviceReader) processMemory(l lib, h uintptr, pids map[uint32]struct{}) (uint64, bool) {
	if d.procs == nil {
		d.procs = make([]byte, 64*processInfoV2Size)
	}
	for {
		count := uint32(len(d.procs) / processInfoV2Size)
		stride, ret := l.processes(h, &count, d.procs)
		if ret == retInsufficientSize && len(d.procs) < maxProcesses*processInfoV2Size {
			// More processes than room: grow to what NVML asked for
			// plus some slack (processes start meanwhile), bounded.
			want := (int(min(count, maxProcesses)) + 16) * processInfoV2Size
			d.procs = make([]byte, min(max(want, 2*len(d.procs)), maxProcesses*processInfoV2Size))
			continue
		}
		if !d.note(retError("nvmlDeviceGetComputeRunningProcesses", ret)) {
			return 0, false
		}
		sum, ok, err := processMemory(d.procs, stride, count, pids)
		if !d.note(err) || !ok {
			return 0, false
		}
		return sum >> 20, true
	}
}
