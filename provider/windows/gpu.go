package windows

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unsafe"

	"github.com/restel/restel/provider"
)

// The PDH counters the accelerator reader collects (docs/contract.md §9).
// Windows publishes them for every WDDM 2.x adapter, whatever its vendor,
// NPUs included (Windows 10 1709 and later). They are added with
// PdhAddEnglishCounterW, so the English paths work on every display
// language.
const (
	counterEngineUtil       = `\GPU Engine(*)\Utilization Percentage`
	counterAdapterDedicated = `\GPU Adapter Memory(*)\Dedicated Usage`
	counterAdapterShared    = `\GPU Adapter Memory(*)\Shared Usage`
	counterProcessDedicated = `\GPU Process Memory(*)\Dedicated Usage`
	counterProcessShared    = `\GPU Process Memory(*)\Shared Usage`
)

// gpuCounterPaths are the counters of a gpuSample, in its field order.
var gpuCounterPaths = [...]string{
	counterEngineUtil, counterAdapterDedicated, counterAdapterShared,
	counterProcessDedicated, counterProcessShared,
}

// counterItem is one instance of a wildcard counter, as
// PdhGetFormattedCounterArrayW returns it (PDH_FMT_COUNTERVALUE_ITEM_W).
type counterItem struct {
	Name  string
	Value float64
}

// gpuSample is one collection (PdhCollectQueryData) of the five counters,
// each as PdhGetFormattedCounterArrayW(PDH_FMT_DOUBLE) returns it. A
// counter whose array could not be read is nil with its Err set:
// Utilization Percentage is a rate, so the first collection has no
// value for it.
type gpuSample struct {
	Engine           []counterItem
	AdapterDedicated []counterItem
	AdapterShared    []counterItem
	ProcessDedicated []counterItem
	ProcessShared    []counterItem
	// Err[i] is the failure reading gpuCounterPaths[i], nil when read.
	Err [len(gpuCounterPaths)]error
}

// gpuCounters is the PDH seam: pdh_windows.go implements it with a query
// kept open between collections, tests with a fake.
type gpuCounters interface {
	// collect runs PdhCollectQueryData and reads the five counter arrays.
	collect() (gpuSample, error)
	// close closes the query (PdhCloseQuery).
	close() error
}

// errNoGPUCounters is returned by the opener when the system has no GPU
// performance counters (no WDDM 2.x adapter, Windows before 10 1709): the
// device then has no accelerator to report.
var errNoGPUCounters = errors.New("windows: no GPU performance counters")

// gpuInstance is a parsed PDH instance name of the GPU counter sets:
//
//	pid_1234_luid_0x00000000_0x0000D1A3_phys_0_eng_0_engtype_3D   (GPU Engine)
//	pid_1234_luid_0x00000000_0x0000D1A3_phys_0                    (GPU Process Memory)
//	luid_0x00000000_0x0000D1A3_phys_0                             (GPU Adapter Memory)
//
// The LUID (high part, low part) identifies the adapter for the boot;
// phys is the physical GPU of a linked adapter; eng the engine index and
// engtype its type as the driver names it ("3D", "Copy", "VideoDecode",
// "Compute_0", "Cuda", ...; free text, may contain '_' and spaces).
type gpuInstance struct {
	PID     uint32
	HasPID  bool
	LUID    uint64 // high<<32 | low
	Phys    uint32
	Eng     uint32
	HasEng  bool
	EngType string
}

// parseGPUInstance parses an instance name of the GPU counter sets. An
// instance that does not have that shape is an error wrapping
// provider.ErrInvalid that names it.
func parseGPUInstance(s string) (gpuInstance, error) {
	var in gpuInstance
	bad := func(what string) (gpuInstance, error) {
		return gpuInstance{}, fmt.Errorf("windows: %w: GPU counter instance %q: %s", provider.ErrInvalid, s, what)
	}
	rest := s
	if r, ok := strings.CutPrefix(rest, "pid_"); ok {
		num, r, ok := strings.Cut(r, "_")
		if !ok {
			return bad("pid without luid")
		}
		pid, err := strconv.ParseUint(num, 10, 32)
		if err != nil || !allDigits(num) {
			return bad("pid is not a number")
		}
		in.PID, in.HasPID, rest = uint32(pid), true, r
	}
	rest, ok := strings.CutPrefix(rest, "luid_")
	if !ok {
		return bad("no luid")
	}
	hi, rest, ok := strings.Cut(rest, "_")
	if !ok {
		return bad("luid without a low part")
	}
	lo, rest, _ := strings.Cut(rest, "_")
	h, okh := parseHex32(hi)
	l, okl := parseHex32(lo)
	if !okh || !okl {
		return bad("luid is not two 0x-prefixed 32-bit hex numbers")
	}
	in.LUID = uint64(h)<<32 | uint64(l)
	rest, ok = strings.CutPrefix(rest, "phys_")
	if !ok {
		return bad("no phys after the luid")
	}
	num, rest, more := strings.Cut(rest, "_")
	phys, err := strconv.ParseUint(num, 10, 32)
	if err != nil || !allDigits(num) {
		return bad("phys is not a number")
	}
	in.Phys = uint32(phys)
	if !more {
		return in, nil
	}
	rest, ok = strings.CutPrefix(rest, "eng_")
	if !ok {
		return bad("unexpected text after phys")
	}
	num, rest, ok = strings.Cut(rest, "_")
	eng, err := strconv.ParseUint(num, 10, 32)
	if !ok || err != nil || !allDigits(num) {
		return bad("eng is not a number followed by engtype")
	}
	typ, ok := strings.CutPrefix(rest, "engtype_")
	if !ok {
		return bad("no engtype after eng")
	}
	in.Eng, in.HasEng, in.EngType = uint32(eng), true, typ
	return in, nil
}

// parseHex32 parses "0x" followed by one to eight hex digits.
func parseHex32(s string) (uint32, bool) {
	h, ok := strings.CutPrefix(s, "0x")
	if !ok {
		h, ok = strings.CutPrefix(s, "0X")
	}
	if !ok || h == "" || len(h) > 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(h, 16, 32)
	return uint32(v), err == nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Engine kinds by engtype: an adapter with any graphics engine is a GPU;
// one with compute engines only (an NPU, a compute-only MCDM device) is
// an NPU.
func isGraphicsEngine(typ string) bool {
	return typ == "3D" || strings.HasPrefix(typ, "Graphics") || typ == "GDI Render"
}

func isComputeEngine(typ string) bool {
	return strings.HasPrefix(typ, "Compute") || typ == "Cuda"
}

// gpuAdapter is one adapter (LUID) aggregated from a sample.
type gpuAdapter struct {
	LUID uint64
	// Engines says whether the sample had the adapter's engine
	// instances; Graphics and Compute whether any was of that type.
	Engines, Graphics, Compute bool
	// Busy is the busiest engine's utilization: per engine (phys, eng),
	// the sum over processes, then the maximum over engines, clamped to
	// [0, 100] — what Task Manager shows. Unknown when the sample has no
	// utilization values.
	Busy provider.Opt[float64]
	// Dedicated and Shared are the adapter's memory usage, bytes,
	// summed over its physical GPUs.
	Dedicated, Shared provider.Opt[uint64]
	// ProcDedicated and ProcShared are the observed process's, bytes;
	// known (0 when the process has no instance on the adapter) when
	// the process memory counters were read.
	ProcDedicated, ProcShared provider.Opt[uint64]
}

// engineKey identifies an engine of an adapter.
type engineKey struct {
	luid      uint64
	phys, eng uint32
}

// aggregateGPU groups a sample by adapter, sorted by LUID. Instances whose
// name does not parse, and values that are negative or not finite, are
// skipped; the error names the first bad instance and how many there
// were. pid is the observed process.
func aggregateGPU(s gpuSample, pid uint32) ([]gpuAdapter, error) {
	var adapters []gpuAdapter
	idx := map[uint64]int{}
	var bad int
	var firstErr error
	get := func(luid uint64) *gpuAdapter {
		i, ok := idx[luid]
		if !ok {
			i = len(adapters)
			idx[luid] = i
			adapters = append(adapters, gpuAdapter{LUID: luid})
		}
		return &adapters[i]
	}
	each := func(items []counterItem, f func(gpuInstance, float64)) {
		for _, it := range items {
			in, err := parseGPUInstance(it.Name)
			if err != nil {
				if bad++; firstErr == nil {
					firstErr = err
				}
				continue
			}
			if math.IsNaN(it.Value) || math.IsInf(it.Value, 0) || it.Value < 0 {
				continue
			}
			f(in, it.Value)
		}
	}

	engines := map[engineKey]float64{}
	each(s.Engine, func(in gpuInstance, v float64) {
		if !in.HasEng {
			return
		}
		a := get(in.LUID)
		a.Engines = true
		a.Graphics = a.Graphics || isGraphicsEngine(in.EngType)
		a.Compute = a.Compute || isComputeEngine(in.EngType)
		engines[engineKey{in.LUID, in.Phys, in.Eng}] += v
	})
	if s.Err[0] == nil {
		for k, v := range engines {
			a := get(k.luid)
			v = min(v, 100)
			if !a.Busy.Valid || v > a.Busy.V {
				a.Busy = provider.Some(v)
			}
		}
		for i := range adapters {
			if adapters[i].Engines && !adapters[i].Busy.Valid {
				adapters[i].Busy = provider.Some(0.0)
			}
		}
	}
	adapterMem := func(items []counterItem, field func(*gpuAdapter) *provider.Opt[uint64]) {
		each(items, func(in gpuInstance, v float64) {
			if in.HasPID || in.HasEng {
				return
			}
			o := field(get(in.LUID))
			*o = addBytes(*o, v)
		})
	}
	adapterMem(s.AdapterDedicated, func(a *gpuAdapter) *provider.Opt[uint64] { return &a.Dedicated })
	adapterMem(s.AdapterShared, func(a *gpuAdapter) *provider.Opt[uint64] { return &a.Shared })
	procMem := func(items []counterItem, field func(*gpuAdapter) *provider.Opt[uint64]) {
		each(items, func(in gpuInstance, v float64) {
			if !in.HasPID || in.PID != pid || in.HasEng {
				return
			}
			o := field(get(in.LUID))
			*o = addBytes(*o, v)
		})
	}
	procMem(s.ProcessDedicated, func(a *gpuAdapter) *provider.Opt[uint64] { return &a.ProcDedicated })
	procMem(s.ProcessShared, func(a *gpuAdapter) *provider.Opt[uint64] { return &a.ProcShared })
	// A process with no instance on an adapter holds nothing there, when
	// the counter was read.
	for i := range adapters {
		a := &adapters[i]
		if s.Err[3] == nil && !a.ProcDedicated.Valid {
			a.ProcDedicated = provider.Some[uint64](0)
		}
		if s.Err[4] == nil && !a.ProcShared.Valid {
			a.ProcShared = provider.Some[uint64](0)
		}
	}

	slices.SortFunc(adapters, func(a, b gpuAdapter) int { return cmp.Compare(a.LUID, b.LUID) })
	if bad > 0 {
		return adapters, fmt.Errorf("%w (%d bad instances)", firstErr, bad)
	}
	return adapters, nil
}

// addBytes adds a byte count given as a float (PDH_FMT_DOUBLE) to o,
// saturating; values past 2^63 are taken as 2^63.
func addBytes(o provider.Opt[uint64], v float64) provider.Opt[uint64] {
	b := uint64(math.MaxInt64)
	if v < math.MaxInt64 {
		b = uint64(v)
	}
	if !o.Valid {
		return provider.Some(b)
	}
	if s := o.V + b; s >= o.V {
		return provider.Some(s)
	}
	return provider.Some(uint64(math.MaxUint64))
}

// pdhItemSize is sizeof(PDH_FMT_COUNTERVALUE_ITEM_W) (pdh.h): LPWSTR
// szName, then PDH_FMT_COUNTERVALUE (DWORD CStatus and an 8-byte union,
// 8-aligned) — 24 bytes on 32- and 64-bit Windows alike, with CStatus at
// offset 8 and the double at 16.
const (
	pdhItemSize    = 24
	pdhStatusOffs  = 8
	pdhValueOffs   = 16
	pdhCStatusNew  = 1 // PDH_CSTATUS_NEW_DATA; PDH_CSTATUS_VALID_DATA is 0
	maxPDHInstance = 1 << 12
)

// decodeCounterArray decodes the buffer PdhGetFormattedCounterArrayW
// filled with count PDH_FMT_COUNTERVALUE_ITEM_W (PDH_FMT_DOUBLE) followed
// by their names. base is the address of buf[0] and ptrSize the size of a
// pointer: each item's szName must point inside buf, at a NUL-terminated
// UTF-16 string. Items whose CStatus is neither PDH_CSTATUS_VALID_DATA nor
// PDH_CSTATUS_NEW_DATA are skipped. Anything else out of place is an error
// wrapping provider.ErrInvalid.
func decodeCounterArray(buf []byte, base uintptr, count uint32, ptrSize int) ([]counterItem, error) {
	if ptrSize != 4 && ptrSize != 8 {
		return nil, fmt.Errorf("windows: %w: PDH counter array: pointer size %d", provider.ErrInvalid, ptrSize)
	}
	if count > maxPDHInstance || uint64(count)*pdhItemSize > uint64(len(buf)) {
		return nil, fmt.Errorf("windows: %w: PDH counter array: %d items in %d bytes", provider.ErrInvalid, count, len(buf))
	}
	le := binary.LittleEndian
	items := make([]counterItem, 0, count)
	var u16 []uint16
	for i := range int(count) {
		it := buf[i*pdhItemSize : (i+1)*pdhItemSize]
		var ptr uint64
		if ptrSize == 8 {
			ptr = le.Uint64(it)
		} else {
			ptr = uint64(le.Uint32(it))
		}
		if st := le.Uint32(it[pdhStatusOffs:]); st != 0 && st != pdhCStatusNew {
			continue
		}
		off := ptr - uint64(base)
		if ptr < uint64(base) || off >= uint64(len(buf)) || off%2 != 0 {
			return nil, fmt.Errorf("windows: %w: PDH counter array: item %d name outside the buffer", provider.ErrInvalid, i)
		}
		u16 = u16[:0]
		end := false
		for j := int(off); j+1 < len(buf); j += 2 {
			c := le.Uint16(buf[j:])
			if c == 0 {
				end = true
				break
			}
			u16 = append(u16, c)
		}
		if !end {
			return nil, fmt.Errorf("windows: %w: PDH counter array: item %d name not terminated", provider.ErrInvalid, i)
		}
		items = append(items, counterItem{
			Name:  string(utf16.Decode(u16)),
			Value: math.Float64frombits(le.Uint64(it[pdhValueOffs:])),
		})
	}
	return items, nil
}

// bufAddr is the address of b's first byte, as an integer to which
// decodeCounterArray compares the name pointers PDH wrote into b. It is
// never converted back to a pointer (unsafe.Pointer rule 2), and b is a
// heap slice, which the garbage collector does not move.
func bufAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// gpuReader keeps the PDH query between reads (its rates need two
// collections) and what names and classifies each adapter for the
// process's lifetime.
type gpuReader struct {
	open   func() (gpuCounters, error) // opens the query; set by newProvider
	closed atomic.Bool

	mu       sync.Mutex // one read at a time; guards everything below
	src      gpuCounters
	absent   bool           // the system has no GPU counters: nothing to read
	names    map[uint64]int // LUID → n of "gpu<n>", by first sight
	discrete map[uint64]bool
	kinds    map[uint64]provider.AccelKind
}

// read is Provider.Accelerators.
func (g *gpuReader) read(ctx context.Context, pid uint32, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if g.closed.Load() {
		return dst, provider.ErrClosed
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	defer func() {
		if g.closed.Load() { // Close came during the read: release here
			_ = g.release()
		}
	}()
	if g.closed.Load() {
		return dst, provider.ErrClosed
	}
	if g.absent {
		return dst, nil
	}
	if g.src == nil {
		src, err := g.open()
		if errors.Is(err, errNoGPUCounters) {
			g.absent = true
			return dst, nil
		}
		if err != nil {
			return dst, fmt.Errorf("windows: PDH GPU counters: %w", err)
		}
		g.src = src
	}
	s, err := g.src.collect()
	if err != nil {
		return dst, fmt.Errorf("windows: PdhCollectQueryData: %w", err)
	}
	adapters, perr := aggregateGPU(s, pid)
	dst = g.accelerators(dst, adapters)
	var errs []error
	// The utilization counter has no value at the first collection; any
	// other counter that could not be read is reported.
	for i, e := range s.Err[1:] {
		if e != nil {
			errs = append(errs, fmt.Errorf("windows: PDH %s: %w", gpuCounterPaths[i+1], e))
		}
	}
	return dst, errors.Join(append(errs, perr)...)
}

// accelerators maps the adapters of a read (docs/contract.md §9):
//
//   - Name "gpu<n>": n counts the adapters in the order this reader first
//     saw them (ascending LUID within a read), so a name is stable for
//     the provider's life. Driver "wddm": the counters do not name it.
//   - Kind npu for an adapter with compute engines and no graphics
//     engine, gpu for one with a graphics engine; unknown until its
//     engines have been listed.
//   - Unified unless the adapter has shown dedicated (device-local)
//     memory in use: integrated GPUs and NPUs use shared system memory.
//     Once an adapter has been seen with Dedicated Usage > 0 it stays
//     discrete.
//   - Memory used: Dedicated Usage of a discrete adapter, Shared Usage of
//     a unified one. The total is not published by the counters: unknown.
//   - Busy: the busiest engine (see gpuAdapter.Busy).
//   - Process memory: the observed process's Dedicated Usage on a
//     discrete adapter, Shared Usage on a unified one.
//
// Temperature and throttling are not in the counters: unknown.
func (g *gpuReader) accelerators(dst []provider.Accelerator, adapters []gpuAdapter) []provider.Accelerator {
	if g.names == nil {
		g.names, g.discrete, g.kinds = map[uint64]int{}, map[uint64]bool{}, map[uint64]provider.AccelKind{}
	}
	for _, ad := range adapters {
		n, ok := g.names[ad.LUID]
		if !ok {
			n = len(g.names)
			g.names[ad.LUID] = n
		}
		if ad.Dedicated.Valid && ad.Dedicated.V > 0 {
			g.discrete[ad.LUID] = true
		}
		if ad.Engines {
			switch {
			case ad.Graphics:
				g.kinds[ad.LUID] = provider.AccelGPU
			case ad.Compute:
				g.kinds[ad.LUID] = provider.AccelNPU
			default:
				g.kinds[ad.LUID] = provider.AccelGPU
			}
		}
		a := provider.Accelerator{
			Name:    "gpu" + strconv.Itoa(n),
			Driver:  "wddm",
			Kind:    g.kinds[ad.LUID],
			Unified: !g.discrete[ad.LUID],
			BusyPct: ad.Busy,
		}
		used, proc := ad.Dedicated, ad.ProcDedicated
		if a.Unified {
			used, proc = ad.Shared, ad.ProcShared
		}
		if used.Valid {
			a.MemUsedMB = provider.Some(used.V >> 20)
		}
		if proc.Valid {
			a.ProcessMemMB = provider.Some(proc.V >> 20)
		}
		dst = append(dst, a)
	}
	return dst
}

// close marks the reader closed and closes the query, or leaves that to
// the read in progress: it never waits for a collection.
func (g *gpuReader) close() error {
	g.closed.Store(true)
	if !g.mu.TryLock() {
		return nil
	}
	defer g.mu.Unlock()
	return g.release()
}

// release closes the query once. Call with g.mu held.
func (g *gpuReader) release() error {
	if g.src == nil {
		return nil
	}
	err := g.src.close()
	g.src = nil
	return err
}

var _ provider.AcceleratorReader = (*Provider)(nil)

// Accelerators implements provider.AcceleratorReader from the PDH GPU
// counters (see [gpuReader.accelerators] for the mapping). The query is
// opened at the first call and kept until Close; engine utilization is a
// rate between two collections, so the first call reports no busy share.
// A system without GPU counters reports no accelerator and no error.
func (p *Provider) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	if p.closed.Load() {
		return dst, provider.ErrClosed
	}
	return p.gpu.read(ctx, p.pid, dst)
}
