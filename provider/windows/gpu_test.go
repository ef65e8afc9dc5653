package windows

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/restel/restel/provider"
)

func TestParseGPUInstance(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want gpuInstance
	}{
		{"pid_11628_luid_0x00000000_0x0000E1A5_phys_0_eng_0_engtype_3D",
			gpuInstance{PID: 11628, HasPID: true, LUID: 0xE1A5, Eng: 0, HasEng: true, EngType: "3D"}},
		{"pid_4_luid_0x00000001_0x00010DC5_phys_1_eng_12_engtype_Video Codec_0",
			gpuInstance{PID: 4, HasPID: true, LUID: 1<<32 | 0x10DC5, Phys: 1, Eng: 12, HasEng: true, EngType: "Video Codec_0"}},
		{"pid_4_luid_0x00000000_0x0000e1a5_phys_0_eng_2_engtype_",
			gpuInstance{PID: 4, HasPID: true, LUID: 0xE1A5, Eng: 2, HasEng: true}},
		{"pid_9140_luid_0x00000000_0x0000E1A5_phys_0",
			gpuInstance{PID: 9140, HasPID: true, LUID: 0xE1A5}},
		{"luid_0x00000000_0x0000E1A5_phys_0", gpuInstance{LUID: 0xE1A5}},
		{"luid_0XFFFFFFFF_0x1_phys_4294967295", gpuInstance{LUID: 0xFFFFFFFF_00000001, Phys: math.MaxUint32}},
	} {
		got, err := parseGPUInstance(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseGPUInstance(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"",
		"_Total",
		"pid_x_luid_0x0_0x1_phys_0",
		"pid_-1_luid_0x0_0x1_phys_0",
		"pid_+1_luid_0x0_0x1_phys_0",
		"pid_4294967296_luid_0x0_0x1_phys_0",
		"pid_4",
		"luid_0x0_0x1",
		"luid_0x0_phys_0",
		"luid_0x_0x1_phys_0",
		"luid_00000000_0x1_phys_0",
		"luid_0x123456789_0x1_phys_0",
		"luid_0x0_0xG_phys_0",
		"luid_0x0_0x1_phys_",
		"luid_0x0_0x1_phys_a",
		"luid_0x0_0x1_phys_0_",
		"luid_0x0_0x1_phys_0_foo",
		"luid_0x0_0x1_phys_0_eng_1",
		"luid_0x0_0x1_phys_0_eng_x_engtype_3D",
		"luid_0x0_0x1_phys_0_eng_1_type_3D",
	} {
		_, err := parseGPUInstance(in)
		if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseGPUInstance(%q): error %v, want one line naming it and wrapping ErrInvalid", in, err)
		}
	}
}

// formatGPUInstance writes in back in the form Windows uses.
func formatGPUInstance(in gpuInstance) string {
	var b strings.Builder
	if in.HasPID {
		fmt.Fprintf(&b, "pid_%d_", in.PID)
	}
	fmt.Fprintf(&b, "luid_0x%08X_0x%08X_phys_%d", uint32(in.LUID>>32), uint32(in.LUID), in.Phys)
	if in.HasEng {
		fmt.Fprintf(&b, "_eng_%d_engtype_%s", in.Eng, in.EngType)
	}
	return b.String()
}

func FuzzParseGPUInstance(f *testing.F) {
	for _, s := range []string{
		"pid_11628_luid_0x00000000_0x0000E1A5_phys_0_eng_0_engtype_3D",
		"luid_0x00000000_0x0000E1A5_phys_0",
		"pid_9140_luid_0x00000000_0x0000E1A5_phys_0",
		"pid_4_luid_0x00000001_0x00010DC5_phys_1_eng_12_engtype_Video Codec_0",
		"luid_0x0_0x1_phys_0_eng_1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := parseGPUInstance(s)
		if err != nil {
			return
		}
		again, err := parseGPUInstance(formatGPUInstance(in))
		if err != nil || again != in {
			t.Errorf("%q: parsed %+v, reformatted and parsed %+v, %v", s, in, again, err)
		}
	})
}

// counterArray lays out a PdhGetFormattedCounterArrayW buffer at address
// base: the items, then their names.
func counterArray(base uintptr, ptrSize int, items []counterItem, status []uint32) []byte {
	le := binary.LittleEndian
	buf := make([]byte, len(items)*pdhItemSize)
	for i, it := range items {
		ptr := uint64(base) + uint64(len(buf))
		for _, c := range utf16.Encode([]rune(it.Name)) {
			buf = le.AppendUint16(buf, c)
		}
		buf = le.AppendUint16(buf, 0)
		rec := buf[i*pdhItemSize:]
		if ptrSize == 8 {
			le.PutUint64(rec, ptr)
		} else {
			le.PutUint32(rec, uint32(ptr))
		}
		if status != nil {
			le.PutUint32(rec[pdhStatusOffs:], status[i])
		}
		le.PutUint64(rec[pdhValueOffs:], math.Float64bits(it.Value))
	}
	return buf
}

func TestDecodeCounterArray(t *testing.T) {
	items := []counterItem{
		{"pid_11628_luid_0x00000000_0x0000E1A5_phys_0_eng_0_engtype_3D", 37.5},
		{"luid_0x00000000_0x0000E1A5_phys_0", 3.5e9},
		{"π ü", 0},
	}
	for _, ptrSize := range []int{4, 8} {
		buf := counterArray(0x10000, ptrSize, items, nil)
		got, err := decodeCounterArray(buf, 0x10000, uint32(len(items)), ptrSize)
		if err != nil || !reflect.DeepEqual(got, items) {
			t.Errorf("ptrSize %d: %+v, %v", ptrSize, got, err)
		}
		// An item whose CStatus says its data is not valid is skipped.
		buf = counterArray(0x10000, ptrSize, items, []uint32{0, 0xC0000BC6, pdhCStatusNew})
		got, err = decodeCounterArray(buf, 0x10000, uint32(len(items)), ptrSize)
		if err != nil || !reflect.DeepEqual(got, []counterItem{items[0], items[2]}) {
			t.Errorf("ptrSize %d with an invalid item: %+v, %v", ptrSize, got, err)
		}
	}
	good := counterArray(0x10000, 8, items, nil)
	for _, tc := range []struct {
		name    string
		buf     []byte
		base    uintptr
		count   uint32
		ptrSize int
	}{
		{"pointer size", good, 0x10000, 3, 2},
		{"more items than the buffer holds", good[:2*pdhItemSize], 0x10000, 3, 8},
		{"absurd count", good, 0x10000, 1 << 30, 8},
		{"name before the buffer", good, 0x20000, 3, 8},
		{"name after the buffer", good, 0x100, 3, 8},
		{"name not terminated", good[:len(good)-2], 0x10000, 3, 8},
	} {
		if _, err := decodeCounterArray(tc.buf, tc.base, tc.count, tc.ptrSize); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, err)
		}
	}
	if got, err := decodeCounterArray(nil, 0, 0, 8); err != nil || len(got) != 0 {
		t.Errorf("empty: %+v, %v", got, err)
	}
}

func FuzzDecodeCounterArray(f *testing.F) {
	f.Add(counterArray(0x10000, 8, []counterItem{{"luid_0x0_0x1_phys_0", 1}}, nil), uint64(0x10000), uint32(1), true)
	f.Add(counterArray(0x400, 4, []counterItem{{"a", 1}, {"b", 2}}, nil), uint64(0x400), uint32(2), false)
	f.Fuzz(func(t *testing.T, buf []byte, base uint64, count uint32, wide bool) {
		ptrSize := 4
		if wide {
			ptrSize = 8
		}
		items, err := decodeCounterArray(buf, uintptr(base), count, ptrSize)
		if err == nil && len(items) > int(count) {
			t.Errorf("%d items from a count of %d", len(items), count)
		}
	})
}

const (
	luidNV    = "luid_0x00000000_0x0000E1A5" // a discrete NVIDIA card
	luidIntel = "luid_0x00000000_0x0000F2B0" // the CPU's integrated GPU
	luidNPU   = "luid_0x00000000_0x00011C40" // Intel AI Boost NPU
)

// sample is a collection on a laptop with a discrete NVIDIA GPU, an Intel
// integrated GPU and an Intel NPU, the observed process (pid 9140)
// running a model on the NVIDIA card. Instance names as Windows 11 writes
// them; values illustrative.
func sample() gpuSample {
	return gpuSample{
		Engine: []counterItem{
			{"pid_9140_" + luidNV + "_phys_0_eng_0_engtype_3D", 12},
			{"pid_1520_" + luidNV + "_phys_0_eng_0_engtype_3D", 3}, // dwm.exe
			{"pid_9140_" + luidNV + "_phys_0_eng_1_engtype_Compute_0", 61.5},
			{"pid_7788_" + luidNV + "_phys_0_eng_1_engtype_Compute_0", 20},
			{"pid_9140_" + luidNV + "_phys_0_eng_5_engtype_Copy", 9},
			{"pid_1520_" + luidIntel + "_phys_0_eng_0_engtype_3D", 4},
			{"pid_1520_" + luidIntel + "_phys_0_eng_2_engtype_VideoDecode", 0},
			{"pid_6012_" + luidNPU + "_phys_0_eng_0_engtype_Compute", 55},
		},
		AdapterDedicated: []counterItem{
			{luidNV + "_phys_0", 6 << 30},
			{luidIntel + "_phys_0", 0},
			{luidNPU + "_phys_0", 0},
		},
		AdapterShared: []counterItem{
			{luidNV + "_phys_0", 200 << 20},
			{luidIntel + "_phys_0", 900 << 20},
			{luidNPU + "_phys_0", 300 << 20},
		},
		ProcessDedicated: []counterItem{
			{"pid_9140_" + luidNV + "_phys_0", 5 << 30},
			{"pid_1520_" + luidNV + "_phys_0", 300 << 20},
			{"pid_9140_" + luidIntel + "_phys_0", 0},
		},
		ProcessShared: []counterItem{
			{"pid_9140_" + luidNV + "_phys_0", 100 << 20},
			{"pid_9140_" + luidIntel + "_phys_0", 64 << 20},
			{"pid_1520_" + luidIntel + "_phys_0", 700 << 20},
		},
	}
}

func TestAggregateGPU(t *testing.T) {
	got, err := aggregateGPU(sample(), 9140)
	if err != nil {
		t.Fatal(err)
	}
	some := provider.Some[uint64]
	want := []gpuAdapter{
		{LUID: 0xE1A5, Engines: true, Graphics: true, Compute: true, Busy: provider.Some(81.5),
			Dedicated: some(6 << 30), Shared: some(200 << 20), ProcDedicated: some(5 << 30), ProcShared: some(100 << 20)},
		{LUID: 0xF2B0, Engines: true, Graphics: true, Busy: provider.Some(4.0),
			Dedicated: some(0), Shared: some(900 << 20), ProcDedicated: some(0), ProcShared: some(64 << 20)},
		{LUID: 0x11C40, Engines: true, Compute: true, Busy: provider.Some(55.0),
			Dedicated: some(0), Shared: some(300 << 20), ProcDedicated: some(0), ProcShared: some(0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestAggregateGPUEdges(t *testing.T) {
	t.Run("busy clamped to 100", func(t *testing.T) {
		s := gpuSample{Engine: []counterItem{
			{"pid_1_" + luidNV + "_phys_0_eng_0_engtype_3D", 70},
			{"pid_2_" + luidNV + "_phys_0_eng_0_engtype_3D", 60},
		}}
		got, _ := aggregateGPU(s, 1)
		if len(got) != 1 || got[0].Busy != provider.Some(100.0) {
			t.Errorf("%+v", got)
		}
	})
	t.Run("same engine type on two engines is not summed", func(t *testing.T) {
		s := gpuSample{Engine: []counterItem{
			{"pid_1_" + luidNV + "_phys_0_eng_3_engtype_Copy", 40},
			{"pid_1_" + luidNV + "_phys_0_eng_4_engtype_Copy", 50},
		}}
		got, _ := aggregateGPU(s, 1)
		if len(got) != 1 || got[0].Busy != provider.Some(50.0) {
			t.Errorf("%+v", got)
		}
	})
	t.Run("first collection: no utilization", func(t *testing.T) {
		s := sample()
		s.Engine, s.Err[0] = nil, errors.New("PDH_STATUS 0xC0000BC6")
		got, err := aggregateGPU(s, 9140)
		if err != nil || len(got) != 3 {
			t.Fatalf("%+v, %v", got, err)
		}
		for _, a := range got {
			if a.Busy.Valid || a.Engines {
				t.Errorf("%x: busy %v engines %v before the second collection", a.LUID, a.Busy, a.Engines)
			}
		}
	})
	t.Run("process counters unreadable: process memory unknown", func(t *testing.T) {
		s := sample()
		s.ProcessDedicated, s.Err[3] = nil, errors.New("PDH_STATUS 0xC0000BC6")
		got, _ := aggregateGPU(s, 9140)
		if got[0].ProcDedicated.Valid || !got[0].ProcShared.Valid {
			t.Errorf("%+v", got[0])
		}
	})
	t.Run("another process: known zero", func(t *testing.T) {
		got, _ := aggregateGPU(sample(), 4242)
		for _, a := range got {
			if a.ProcDedicated != provider.Some[uint64](0) || a.ProcShared != provider.Some[uint64](0) {
				t.Errorf("%x: %+v", a.LUID, a)
			}
		}
	})
	t.Run("hostile values and names", func(t *testing.T) {
		s := gpuSample{
			Engine: []counterItem{
				{"pid_1_" + luidNV + "_phys_0_eng_0_engtype_3D", math.NaN()},
				{"pid_1_" + luidNV + "_phys_0_eng_1_engtype_3D", math.Inf(1)},
				{"pid_1_" + luidNV + "_phys_0_eng_2_engtype_3D", -5},
				{"garbage", 50},
				{"pid_1_" + luidNV + "_phys_0_eng_3_engtype_3D", 7},
			},
			AdapterDedicated: []counterItem{
				{luidNV + "_phys_0", 1e300},
				{luidNV + "_phys_1", 1e300},
				{"_Total", 1},
			},
		}
		got, err := aggregateGPU(s, 1)
		if err == nil || !strings.Contains(err.Error(), `"garbage"`) || !strings.Contains(err.Error(), "2 bad instances") {
			t.Errorf("error %v, want one naming the first bad instance and the count", err)
		}
		if len(got) != 1 || got[0].Busy != provider.Some(7.0) || got[0].Dedicated != provider.Some[uint64](math.MaxUint64-1) {
			t.Errorf("%+v", got)
		}
	})
	t.Run("empty sample", func(t *testing.T) {
		got, err := aggregateGPU(gpuSample{}, 1)
		if err != nil || len(got) != 0 {
			t.Errorf("%+v, %v", got, err)
		}
	})
}

// fakeCounters is a gpuCounters returning queued samples (the last one
// repeats); block, when set, holds collect until it is closed.
type fakeCounters struct {
	mu      sync.Mutex
	samples []gpuSample
	err     error
	block   chan struct{}
	entered chan struct{}
	closes  int
}

func (f *fakeCounters) collect() (gpuSample, error) {
	if f.block != nil {
		close(f.entered)
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return gpuSample{}, f.err
	}
	s := f.samples[0]
	if len(f.samples) > 1 {
		f.samples = f.samples[1:]
	}
	return s, nil
}

func (f *fakeCounters) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	return nil
}

func (f *fakeCounters) closeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closes
}

// gpuProvider is a Provider over the fake system calls observing pid 9140
// whose PDH query is fc (opened, counted, by opens).
func gpuProvider(t *testing.T, fc *fakeCounters, openErr error) (*Provider, *int) {
	t.Helper()
	p := newTestProvider(t, newFakeSys())
	p.pid = 9140
	opens := new(int)
	p.gpu.open = func() (gpuCounters, error) {
		*opens++
		if openErr != nil {
			return nil, openErr
		}
		return fc, nil
	}
	return p, opens
}

func TestProviderAccelerators(t *testing.T) {
	first := sample()
	first.Engine, first.Err[0] = nil, errors.New("PDH_STATUS 0xC0000BC6")
	fc := &fakeCounters{samples: []gpuSample{first, sample()}}
	p, opens := gpuProvider(t, fc, nil)

	got, err := p.Accelerators(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Accelerator{
		{Name: "gpu0", Driver: "wddm", Unified: false, MemUsedMB: provider.Some[uint64](6 << 10), ProcessMemMB: provider.Some[uint64](5 << 10)},
		{Name: "gpu1", Driver: "wddm", Unified: true, MemUsedMB: provider.Some[uint64](900), ProcessMemMB: provider.Some[uint64](64)},
		{Name: "gpu2", Driver: "wddm", Unified: true, MemUsedMB: provider.Some[uint64](300), ProcessMemMB: provider.Some[uint64](0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("first read:\ngot  %+v\nwant %+v", got, want)
	}

	got, err = p.Accelerators(t.Context(), got[:0])
	if err != nil {
		t.Fatal(err)
	}
	want[0].Kind, want[0].BusyPct = provider.AccelGPU, provider.Some(81.5)
	want[1].Kind, want[1].BusyPct = provider.AccelGPU, provider.Some(4.0)
	want[2].Kind, want[2].BusyPct = provider.AccelNPU, provider.Some(55.0)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("second read:\ngot  %+v\nwant %+v", got, want)
	}
	tot := provider.SumAccelerators(got)
	if tot.GPUMemUsedMB != provider.Some[uint64](6<<10) || tot.GPUBusyPct != provider.Some(81.5) || tot.ProcessGPUMemMB != provider.Some[uint64](5<<10+64) {
		t.Errorf("totals %+v", tot)
	}
	if *opens != 1 {
		t.Errorf("query opened %d times, want once", *opens)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fc.closeCount(); n != 1 {
		t.Errorf("query closed %d times, want once", n)
	}
	if _, err := p.Accelerators(t.Context(), nil); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	_ = p.Close()
	if n := fc.closeCount(); n != 1 {
		t.Errorf("query closed %d times after a second Close, want once", n)
	}
}

func TestProviderAcceleratorsStickyNames(t *testing.T) {
	early := gpuSample{AdapterDedicated: []counterItem{{luidIntel + "_phys_0", 0}}}
	late := gpuSample{AdapterDedicated: []counterItem{{luidNV + "_phys_0", 1 << 30}, {luidIntel + "_phys_0", 0}}}
	fc := &fakeCounters{samples: []gpuSample{early, late}}
	p, _ := gpuProvider(t, fc, nil)
	if got, _ := p.Accelerators(t.Context(), nil); len(got) != 1 || got[0].Name != "gpu0" {
		t.Fatalf("%+v", got)
	}
	// An adapter that appears later (an eGPU, a driver restart) takes the
	// next name; the one seen first keeps its own.
	got, _ := p.Accelerators(t.Context(), nil)
	if len(got) != 2 || got[0].Name != "gpu1" || got[1].Name != "gpu0" || got[0].Unified || !got[1].Unified {
		t.Errorf("%+v", got)
	}
}

func TestProviderAcceleratorsNoCounters(t *testing.T) {
	p, opens := gpuProvider(t, nil, fmt.Errorf("%w: PDH_STATUS 0xC0000BB8", errNoGPUCounters))
	for range 3 {
		got, err := p.Accelerators(t.Context(), nil)
		if err != nil || len(got) != 0 {
			t.Fatalf("%+v, %v", got, err)
		}
	}
	if *opens != 1 {
		t.Errorf("opened %d times, want once: the counters do not appear later", *opens)
	}
}

func TestProviderAcceleratorsErrors(t *testing.T) {
	p, opens := gpuProvider(t, nil, errors.New("PdhOpenQueryW: PDH_STATUS 0xC0000BBB"))
	dst := []provider.Accelerator{{Name: "kept"}}
	for range 2 {
		got, err := p.Accelerators(t.Context(), dst)
		if err == nil || !strings.Contains(err.Error(), "PdhOpenQueryW") || len(got) != 1 {
			t.Fatalf("%+v, %v", got, err)
		}
	}
	if *opens != 2 {
		t.Errorf("opened %d times, want a retry per read", *opens)
	}

	fc := &fakeCounters{err: errors.New("PDH_STATUS 0x800007D6")}
	p, _ = gpuProvider(t, fc, nil)
	if _, err := p.Accelerators(t.Context(), nil); err == nil || !strings.Contains(err.Error(), "PdhCollectQueryData") {
		t.Errorf("collect error: %v", err)
	}

	s := sample()
	s.AdapterShared, s.Err[2] = nil, errors.New("PDH_STATUS 0xC0000BC6")
	fc = &fakeCounters{samples: []gpuSample{s}}
	p, _ = gpuProvider(t, fc, nil)
	got, err := p.Accelerators(t.Context(), nil)
	if err == nil || !strings.Contains(err.Error(), `\GPU Adapter Memory(*)\Shared Usage`) || len(got) != 3 {
		t.Errorf("%d accelerators, error %v: want all three and the unreadable counter named", len(got), err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Accelerators(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// Close does not wait for a collection in progress; the read closes the
// query when it returns.
func TestProviderAcceleratorsCloseDuringRead(t *testing.T) {
	fc := &fakeCounters{samples: []gpuSample{sample()}, block: make(chan struct{}), entered: make(chan struct{})}
	p, _ := gpuProvider(t, fc, nil)
	done := make(chan error)
	go func() {
		_, err := p.Accelerators(context.Background(), nil)
		done <- err
	}()
	<-fc.entered
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := fc.closeCount(); n != 0 {
		t.Errorf("query closed %d times while collecting", n)
	}
	close(fc.block)
	<-done
	if n := fc.closeCount(); n != 1 {
		t.Errorf("query closed %d times after the read, want once", n)
	}
}

// BenchmarkGPUReaderSteady is one read's arithmetic after the query's
// collection: aggregating the laptop sample and mapping it.
func BenchmarkGPUReaderSteady(b *testing.B) {
	s := sample()
	var g gpuReader
	dst := make([]provider.Accelerator, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		adapters, err := aggregateGPU(s, 9140)
		if err != nil {
			b.Fatal(err)
		}
		dst = g.accelerators(dst[:0], adapters)
	}
}
