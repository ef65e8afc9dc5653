package nvml

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/provider"
)

// goLib is an NVML written in Go: devices with fixed readings, forced
// return codes, a call that blocks or panics.
type goLib struct {
	mu        sync.Mutex
	devs      []goDev
	initRet   int32
	inits     int
	shutdowns int
	// block, when not nil, holds memoryInfo until it is closed.
	block chan struct{}
	// panicIn names a method that panics.
	panicIn string
}

type goDev struct {
	name            string
	total, used     uint64 // bytes
	memRet, utilRet int32
	busy, temp      uint32
	reasons         uint64
	procs           [][2]uint64 // pid, bytes
}

func (l *goLib) maybePanic(name string) {
	if l.panicIn == name {
		panic("fake NVML: " + name)
	}
}

func (l *goLib) dev(h uintptr) *goDev { return &l.devs[h-1] }

func (l *goLib) init() int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.initRet == 0 {
		l.inits++
	}
	return l.initRet
}

func (l *goLib) shutdown() int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.shutdowns++
	return 0
}

func (l *goLib) deviceCount(n *uint32) int32 { *n = uint32(len(l.devs)); return 0 }

func (l *goLib) handleByIndex(i uint32, h *uintptr) int32 {
	if int(i) >= len(l.devs) {
		return retInvalidArgument
	}
	*h = uintptr(i) + 1
	return 0
}

func (l *goLib) name(h uintptr, buf []byte) int32 {
	copy(buf[:len(buf)-1], l.dev(h).name)
	return 0
}

func (l *goLib) memoryInfo(h uintptr, buf []byte) int32 {
	if l.block != nil {
		<-l.block
	}
	d := l.dev(h)
	if d.memRet != 0 {
		return d.memRet
	}
	copy(buf, le64s(d.total, d.total-d.used, d.used))
	return 0
}

func (l *goLib) utilization(h uintptr, buf []byte) int32 {
	d := l.dev(h)
	if d.utilRet != 0 {
		return d.utilRet
	}
	binary.LittleEndian.PutUint32(buf, d.busy)
	return 0
}

func (l *goLib) temperature(h uintptr, c *uint32) int32 {
	l.maybePanic("temperature")
	*c = l.dev(h).temp
	return 0
}

func (l *goLib) clockReasons(h uintptr, r *uint64) int32 { *r = l.dev(h).reasons; return 0 }

func (l *goLib) processes(h uintptr, count *uint32, buf []byte) (int, int32) {
	d := l.dev(h)
	if int(*count) < len(d.procs) {
		*count = uint32(len(d.procs))
		return processInfoV2Size, retInsufficientSize
	}
	copy(buf, procs(processInfoV2Size, d.procs...))
	*count = uint32(len(d.procs))
	return processInfoV2Size, 0
}

// twoGPUs is a discrete GPU busy with this test's process (PID 42) and a
// device without memory of its own.
func twoGPUs() *goLib {
	many := make([][2]uint64, 200) // more than the first buffer holds
	for i := range many {
		many[i] = [2]uint64{uint64(1000 + i), 1 << 20}
	}
	many[150] = [2]uint64{42, 300 << 20}
	return &goLib{devs: []goDev{
		{name: "NVIDIA L4", total: 24 << 30, used: 3 << 30, busy: 80, temp: 71, reasons: reasonSWPowerCap,
			procs: [][2]uint64{{7, 1 << 30}, {42, 2 << 30}, {43, 512 << 20}}},
		{name: "NVIDIA GB10", memRet: retNotSupported, busy: 5, temp: 40, reasons: reasonHWThermalSlowdown, procs: many},
	}}
}

func testReader(l lib, hostPIDs bool) *Reader {
	r := newReader(l, config{pid: 42, procfs: "/nonexistent", timeout: time.Second})
	r.hostPIDs = hostPIDs
	return r
}

func TestReaderReads(t *testing.T) {
	l := twoGPUs()
	r := testReader(l, true)
	prior := []provider.Accelerator{{Name: "card0", Driver: "amdgpu"}}
	got, err := r.Accelerators(context.Background(), prior)
	if err != nil {
		t.Fatalf("Accelerators: %v", err)
	}
	want := []provider.Accelerator{
		{Name: "card0", Driver: "amdgpu"},
		{Name: "nvidia0", Driver: "nvidia", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](3 << 10), MemTotalMB: provider.Some[uint64](24 << 10),
			BusyPct: provider.Some(80.0), TempC: provider.Some(71.0), Throttling: provider.Some(false),
			ProcessMemMB: provider.Some[uint64](2 << 10)},
		{Name: "nvidia1", Driver: "nvidia", Kind: provider.AccelGPU, Unified: true,
			BusyPct: provider.Some(5.0), TempC: provider.Some(40.0), Throttling: provider.Some(true),
			ProcessMemMB: provider.Some[uint64](300)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Accelerators (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Device{{"nvidia0", "NVIDIA L4"}, {"nvidia1", "NVIDIA GB10"}}, r.Devices()); d != "" {
		t.Errorf("Devices (-want +got):\n%s", d)
	}
	tree, err := r.AcceleratorsOf(context.Background(), nil, []int{42, 43, -1, 0})
	if err != nil {
		t.Fatalf("AcceleratorsOf: %v", err)
	}
	if got := tree[0].ProcessMemMB; got != provider.Some[uint64](2<<10+512) {
		t.Errorf("tree's memory on nvidia0 = %v, want %d MiB", got, 2<<10+512)
	}
	if totals := provider.SumAccelerators(got[1:]); totals.GPUMemTotalMB != provider.Some[uint64](24<<10) ||
		totals.ProcessGPUMemMB != provider.Some[uint64](2<<10+300) {
		t.Errorf("SumAccelerators = %+v", totals)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if l.inits != 1 || l.shutdowns != 1 {
		t.Errorf("nvmlInit_v2 %d times, nvmlShutdown %d times; want once each", l.inits, l.shutdowns)
	}
	if _, err := r.Accelerators(context.Background(), nil); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("read after Close: %v, want provider.ErrClosed", err)
	}
}

// In another PID namespace NVML's PIDs are not this process's: the
// process's memory is unknown, never the memory of whoever has its number
// on the host.
func TestReaderOtherPIDNamespace(t *testing.T) {
	r := testReader(twoGPUs(), false)
	defer r.Close()
	got, err := r.Accelerators(context.Background(), nil)
	if err != nil {
		t.Fatalf("Accelerators: %v", err)
	}
	for _, a := range got {
		if a.ProcessMemMB.Valid {
			t.Errorf("%s: ProcessMemMB = %d, want unknown", a.Name, a.ProcessMemMB.V)
		}
		if !a.BusyPct.Valid {
			t.Errorf("%s: BusyPct unknown, want the device's", a.Name)
		}
	}
}

func TestReaderDriverErrors(t *testing.T) {
	t.Run("init fails", func(t *testing.T) {
		l := twoGPUs()
		l.initRet = retDriverNotLoaded
		r := testReader(l, true)
		defer r.Close()
		got, err := r.Accelerators(context.Background(), nil)
		if len(got) != 0 || !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "NVML_ERROR_DRIVER_NOT_LOADED") {
			t.Fatalf("Accelerators = %v, %v; want nothing and the driver error", got, err)
		}
		l.initRet = 0
		if got, err := r.Accelerators(context.Background(), nil); len(got) != 2 || err != nil {
			t.Fatalf("after the driver loaded: %v, %v; want two devices", got, err)
		}
	})
	t.Run("GPU lost", func(t *testing.T) {
		l := twoGPUs()
		l.devs[0].memRet, l.devs[0].utilRet = retGPUIsLost, retGPUIsLost
		r := testReader(l, true)
		defer r.Close()
		got, err := r.Accelerators(context.Background(), nil)
		if !errors.Is(err, ErrGPULost) || !strings.Contains(err.Error(), "nvidia0") {
			t.Errorf("error %v, want ErrGPULost naming nvidia0", err)
		}
		if len(got) != 2 || got[0].MemUsedMB.Valid || got[0].MemTotalMB.Valid || got[0].BusyPct.Valid || got[0].Unified {
			t.Fatalf("lost device: %+v, want memory and busy unknown", got)
		}
		if !got[1].BusyPct.Valid {
			t.Errorf("the other device lost its reading: %+v", got[1])
		}
	})
	t.Run("panic in a call", func(t *testing.T) {
		l := twoGPUs()
		l.panicIn = "temperature"
		r := testReader(l, true)
		defer r.Close()
		got, err := r.Accelerators(context.Background(), nil)
		if len(got) != 0 || !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("Accelerators = %v, %v; want nothing and the panic as an error", got, err)
		}
		l.panicIn = ""
		if got, err := r.Accelerators(context.Background(), nil); len(got) != 2 || err != nil {
			t.Fatalf("read after the panic: %v, %v; want two devices", got, err)
		}
	})
}

// A call that does not return is abandoned at the deadline and counted;
// later reads fail at once until it returns; Close does not wait for it,
// and NVML is shut down once it returns.
func TestReaderHungCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := twoGPUs()
		l.block = make(chan struct{})
		r := testReader(l, true)
		start := time.Now()
		got, err := r.Accelerators(context.Background(), nil)
		if len(got) != 0 || !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hung read = %v, %v; want nothing, unavailable past the deadline", got, err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("hung read returned after %v, want the 1s timeout", waited)
		}
		if n := r.Abandoned(); n != 1 {
			t.Errorf("Abandoned = %d, want 1", n)
		}
		start = time.Now()
		if _, err := r.Accelerators(context.Background(), nil); !errors.Is(err, errHung) || time.Since(start) != 0 {
			t.Errorf("read behind a hung call: %v after %v, want errHung at once", err, time.Since(start))
		}
		if n := r.Abandoned(); n != 1 {
			t.Errorf("Abandoned = %d after a refused read, want 1", n)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close with a hung call: %v", err)
		}
		if time.Since(start) != 0 {
			t.Errorf("Close waited %v", time.Since(start))
		}
		synctest.Wait()
		if l.shutdowns != 0 {
			t.Errorf("nvmlShutdown called while a call is running")
		}
		close(l.block)
		synctest.Wait() // the read goroutine returns and shuts NVML down
		if l.shutdowns != 1 {
			t.Errorf("nvmlShutdown %d times after the hung call returned, want 1", l.shutdowns)
		}
	})
}

// A hung call that returns lets reads resume.
func TestReaderRecoversAfterHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := twoGPUs()
		l.block = make(chan struct{})
		r := testReader(l, true)
		defer r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := r.Accelerators(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hung read: %v, want the caller's deadline", err)
		}
		close(l.block)
		synctest.Wait()
		got, err := r.Accelerators(context.Background(), nil)
		if len(got) != 2 || err != nil {
			t.Fatalf("read after the hang: %v, %v; want two devices", got, err)
		}
	})
}

func TestReaderCanceledContext(t *testing.T) {
	l := twoGPUs()
	r := testReader(l, true)
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Accelerators(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a canceled context: %v", err)
	}
	if l.inits != 0 || r.Abandoned() != 0 {
		t.Errorf("a canceled read called NVML (%d inits) or was counted abandoned (%d)", l.inits, r.Abandoned())
	}
}

func TestReaderConcurrent(t *testing.T) {
	r := testReader(twoGPUs(), true)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, err := r.Accelerators(context.Background(), nil)
				if err != nil || len(got) != 2 {
					t.Errorf("Accelerators = %d devices, %v", len(got), err)
					return
				}
				_ = r.Devices()
			}
		})
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
	}{
		{"negative pid", []Option{WithPID(-1)}},
		{"zero timeout", []Option{WithTimeout(0)}},
		{"negative timeout", []Option{WithTimeout(-time.Second)}},
	} {
		if r, err := Open(tt.opts...); !errors.Is(err, provider.ErrInvalid) {
			if r != nil {
				r.Close()
			}
			t.Errorf("%s: Open = %v, want provider.ErrInvalid", tt.name, err)
		}
	}
	r, err := Open(WithLibrary(t.TempDir()+"/no-such-libnvidia-ml.so.1"), nil)
	if r != nil || !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("Open of a missing library = %v, %v; want provider.ErrUnavailable", r, err)
	}
}
