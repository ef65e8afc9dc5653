package darwin

import (
	"bufio"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/restel/restel/provider"
)

// readIoreg reads a saved `ioreg -r -d 1 -w 0 -c IOAccelerator` output
// into what the IOKit walk returns for the same services: each entry's
// class and the numeric PerformanceStatistics entries of accelStatKeys.
func readIoreg(t testing.TB, name string) []ioAccelerator {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ioreg", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var svcs []ioAccelerator
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "+-o "); ok {
			_, cls, ok := strings.Cut(rest, "<class ")
			if !ok {
				t.Fatalf("%s: entry without a class: %q", name, line)
			}
			cls, _, _ = strings.Cut(cls, ",")
			svcs = append(svcs, ioAccelerator{Class: cls})
			continue
		}
		dict, ok := strings.CutPrefix(line, `"PerformanceStatistics" = {`)
		if !ok || len(svcs) == 0 {
			continue
		}
		dict, ok = strings.CutSuffix(dict, "}")
		if !ok {
			t.Fatalf("%s: unterminated PerformanceStatistics: %q", name, line)
		}
		st := map[string]int64{}
		for _, kv := range splitTop(dict) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("%s: entry without '=': %q", name, kv)
			}
			k = strings.Trim(k, `"`)
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || !slices.Contains(accelStatKeys[:], k) {
				continue // not a CFNumber, or not a key the walk looks up
			}
			st[k] = n
		}
		svcs[len(svcs)-1].Stats = st
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return svcs
}

// splitTop splits an ioreg dictionary body on the commas outside quotes,
// braces and parentheses.
func splitTop(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '{' || c == '(':
			depth++
		case c == '}' || c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func gpu(name, class string, unified bool) provider.Accelerator {
	return provider.Accelerator{Name: name, Driver: class, Kind: provider.AccelGPU, Unified: unified}
}

func TestAcceleratorsFromIoreg(t *testing.T) {
	m1 := gpu("gpu0", "AGXAcceleratorG13G", true)
	m1.MemUsedMB = provider.Some[uint64](454557696 >> 20)
	m1.BusyPct = provider.Some(10.0)

	m2 := gpu("gpu0", "AGXAcceleratorG14X", true)
	m2.MemUsedMB = provider.Some[uint64](12 << 10)
	m2.BusyPct = provider.Some(98.0)

	intel := gpu("gpu0", "IntelAccelerator", true)
	intel.MemUsedMB = provider.Some[uint64](192)
	intel.BusyPct = provider.Some(3.0)
	amd := gpu("gpu1", "AMDRadeonX6000_AMDNavi14GraphicsAccelerator", false)
	amd.MemUsedMB = provider.Some[uint64](3 << 10)
	amd.MemTotalMB = provider.Some[uint64](8 << 10)
	amd.BusyPct = provider.Some(71.0)
	amd.TempC = provider.Some(62.0)

	for _, tc := range []struct {
		file   string
		want   []provider.Accelerator
		totals provider.AccelTotals
	}{
		{"m1.txt", []provider.Accelerator{m1}, provider.AccelTotals{GPUBusyPct: provider.Some(10.0)}},
		{"m2pro.txt", []provider.Accelerator{m2}, provider.AccelTotals{GPUBusyPct: provider.Some(98.0)}},
		{"intel-amd.txt", []provider.Accelerator{intel, amd}, provider.AccelTotals{
			GPUMemUsedMB:  provider.Some[uint64](3 << 10),
			GPUMemTotalMB: provider.Some[uint64](8 << 10),
			GPUBusyPct:    provider.Some(71.0),
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := acceleratorsFromIOKit(nil, readIoreg(t, tc.file))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if tot := provider.SumAccelerators(got); tot != tc.totals {
				t.Errorf("totals %+v, want %+v", tot, tc.totals)
			}
		})
	}
}

func TestAcceleratorFromStats(t *testing.T) {
	with := func(f func(*provider.Accelerator)) provider.Accelerator {
		a := gpu("gpu0", "X", true)
		f(&a)
		return a
	}
	for _, tc := range []struct {
		name  string
		stats map[string]int64
		want  provider.Accelerator
	}{
		{"no statistics", nil, gpu("gpu0", "X", true)},
		{"empty statistics", map[string]int64{}, gpu("gpu0", "X", true)},
		{"busy from GPU Activity when Device Utilization is absent",
			map[string]int64{statGPUActivity: 40},
			with(func(a *provider.Accelerator) { a.BusyPct = provider.Some(40.0) })},
		{"Device Utilization out of range falls back to GPU Activity",
			map[string]int64{statDeviceUtil: 250, statGPUActivity: 40},
			with(func(a *provider.Accelerator) { a.BusyPct = provider.Some(40.0) })},
		{"busier of renderer and tiler",
			map[string]int64{statRendererUtil: 20, statTilerUtil: 35},
			with(func(a *provider.Accelerator) { a.BusyPct = provider.Some(35.0) })},
		{"renderer and tiler out of range",
			map[string]int64{statRendererUtil: -1, statTilerUtil: 101},
			gpu("gpu0", "X", true)},
		{"negative memory is unknown",
			map[string]int64{statInUseSysMem: -4096},
			gpu("gpu0", "X", true)},
		{"only free VRAM: discrete, used and total unknown",
			map[string]int64{statVRAMFree: 1 << 30},
			gpu("gpu0", "X", false)},
		{"older discrete driver: inUseVidMemoryBytes",
			map[string]int64{statVidMemInUse: 512 << 20, statVRAMFree: 1536 << 20},
			with(func(a *provider.Accelerator) {
				a.Unified = false
				a.MemUsedMB = provider.Some[uint64](512)
				a.MemTotalMB = provider.Some[uint64](2048)
			})},
		{"vram at the int64 limit",
			map[string]int64{statVRAMUsed: math.MaxInt64, statVRAMFree: math.MaxInt64},
			with(func(a *provider.Accelerator) {
				a.Unified = false
				a.MemUsedMB = provider.Some[uint64](math.MaxInt64 >> 20)
				a.MemTotalMB = provider.Some[uint64]((math.MaxInt64 * 2) >> 20)
			})},
		{"discrete memory ignores system memory keys",
			map[string]int64{statVRAMUsed: 1 << 30, statVRAMFree: 1 << 30, statInUseSysMem: 5 << 30},
			with(func(a *provider.Accelerator) {
				a.Unified = false
				a.MemUsedMB = provider.Some[uint64](1024)
				a.MemTotalMB = provider.Some[uint64](2048)
			})},
		{"temperature out of range", map[string]int64{statTemperature: 1000}, gpu("gpu0", "X", true)},
		{"temperature below zero", map[string]int64{statTemperature: -5},
			with(func(a *provider.Accelerator) { a.TempC = provider.Some(-5.0) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceleratorFromStats("gpu0", "X", tc.stats); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestAcceleratorsFromIOKitBounded(t *testing.T) {
	svcs := make([]ioAccelerator, maxIOAccelerators+5)
	got := acceleratorsFromIOKit([]provider.Accelerator{{Name: "before"}}, svcs)
	if len(got) != 1+maxIOAccelerators {
		t.Fatalf("%d accelerators, want %d", len(got), 1+maxIOAccelerators)
	}
	if got[0].Name != "before" || got[1].Name != "gpu0" || got[maxIOAccelerators].Name != "gpu15" {
		t.Errorf("names %q %q %q", got[0].Name, got[1].Name, got[maxIOAccelerators].Name)
	}
}

func TestCString(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "IntelAccelerator\x00\x00junk": "IntelAccelerator", "\x00x": ""} {
		if got := cString([]byte(in)); got != want {
			t.Errorf("cString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProviderAccelerators(t *testing.T) {
	f := newFakeSys()
	f.accels = readIoreg(t, "intel-amd.txt")
	p := newTestProvider(t, f)
	got, err := p.Accelerators(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Driver != "AMDRadeonX6000_AMDNavi14GraphicsAccelerator" {
		t.Fatalf("got %+v", got)
	}

	f.mu.Lock()
	f.accelErr = kernReturn(5)
	f.mu.Unlock()
	dst := []provider.Accelerator{{Name: "kept"}}
	got, err = p.Accelerators(t.Context(), dst)
	if err == nil || !strings.Contains(err.Error(), "IOAccelerator") || !errors.Is(err, kernReturn(5)) {
		t.Errorf("error %v, want one naming IOAccelerator and wrapping the kern_return", err)
	}
	if len(got) != 1 || got[0].Name != "kept" {
		t.Errorf("dst changed on error: %+v", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Accelerators(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	_ = p.Close()
	if _, err := p.Accelerators(t.Context(), nil); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// FuzzAcceleratorFromStats checks that any dictionary maps to a
// consistent reading: no panic, busy within [0, 100], used within total,
// unified exactly when no device-local memory key is present.
func FuzzAcceleratorFromStats(f *testing.F) {
	f.Add(int64(10), int64(-1), int64(8), int64(9), int64(454557696), int64(-1), int64(-1), int64(-1), int64(-1))
	f.Add(int64(71), int64(71), int64(-1), int64(-1), int64(-1), int64(3<<30), int64(5<<30), int64(-1), int64(62))
	f.Add(int64(math.MaxInt64), int64(math.MinInt64), int64(101), int64(-7), int64(0), int64(math.MaxInt64), int64(math.MaxInt64), int64(1), int64(-51))
	f.Fuzz(func(t *testing.T, dev, act, rend, tiler, sys, used, free, vid, temp int64) {
		st := map[string]int64{}
		for k, v := range map[string]int64{statDeviceUtil: dev, statGPUActivity: act, statRendererUtil: rend,
			statTilerUtil: tiler, statInUseSysMem: sys, statVRAMUsed: used, statVRAMFree: free,
			statVidMemInUse: vid, statTemperature: temp} {
			if v != -1 { // -1 stands for an absent key
				st[k] = v
			}
		}
		a := acceleratorFromStats("gpu0", "X", st)
		if b, ok := a.BusyPct.Get(); ok && (b < 0 || b > 100) {
			t.Errorf("busy %v", b)
		}
		if a.MemUsedMB.Valid && a.MemTotalMB.Valid && a.MemUsedMB.V > a.MemTotalMB.V {
			t.Errorf("used %d > total %d", a.MemUsedMB.V, a.MemTotalMB.V)
		}
		_, u := st[statVRAMUsed]
		_, fr := st[statVRAMFree]
		_, v := st[statVidMemInUse]
		if a.Unified == (u || fr || v) {
			t.Errorf("unified %v with device-memory keys %v %v %v", a.Unified, u, fr, v)
		}
		if a.Unified && a.MemTotalMB.Valid {
			t.Errorf("unified with a total")
		}
	})
}

// BenchmarkAcceleratorsFromIOKit maps an Intel Mac's two services.
func BenchmarkAcceleratorsFromIOKit(b *testing.B) {
	svcs := readIoreg(b, "intel-amd.txt")
	dst := make([]provider.Accelerator, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		dst = acceleratorsFromIOKit(dst[:0], svcs)
	}
}
