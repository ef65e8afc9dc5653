//go:build linux && !android && (amd64 || arm64 || ppc64le)

package nvml

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebitengine/purego"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/restel/restel/provider"
)

// These tests load a real shared library through the real loader: a fake
// libnvidia-ml.so built from testdata/fakenvml.c with the machine's C
// compiler into the test's temporary directory.

// buildFake compiles testdata/fakenvml.c with the given -D macros and
// returns the library's path. Without a C compiler the test is skipped.
func buildFake(t testing.TB, defines ...string) string {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("no C compiler (%s: %v) to build the fake libnvidia-ml.so", cc, err)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "fakenvml.c"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "libnvidia-ml.so.1")
	args := []string{"-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", out, src}
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, b)
	}
	return out
}

// procFS writes a procfs root whose self is in the host's PID namespace
// (host) or in a container's, and returns it.
func procFS(t *testing.T, host bool) string {
	t.Helper()
	root := t.TempDir()
	self := filepath.Join(root, "self")
	if err := os.MkdirAll(filepath.Join(self, "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	link, nspid := "pid:[4026531836]", strconv.Itoa(os.Getpid())
	if !host {
		link, nspid = "pid:[4026532291]", nspid+"\t1"
	}
	if err := os.Symlink(link, filepath.Join(self, "ns", "pid")); err != nil {
		t.Fatal(err)
	}
	status := "Name:\tnvml.test\nPid:\t" + strconv.Itoa(os.Getpid()) + "\nNSpid:\t" + nspid + "\n"
	if err := os.WriteFile(filepath.Join(self, "status"), []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// fakeInits calls the fake's fake_inits(): nvmlInit_v2 calls minus
// nvmlShutdown calls.
func fakeInits(t *testing.T, lib string) int {
	t.Helper()
	h, err := purego.Dlopen(lib, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := purego.Dlsym(h, "fake_inits")
	if err != nil {
		t.Fatal(err)
	}
	r, _, _ := purego.SyscallN(fn)
	return int(int32(r))
}

// fakeWant is what the fake reports, this process's memory included where
// withProcess.
func fakeWant(withProcess bool) []provider.Accelerator {
	want := []provider.Accelerator{
		{Name: "nvidia0", Driver: "nvidia", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](1024), MemTotalMB: provider.Some[uint64](8192),
			BusyPct: provider.Some(37.0), TempC: provider.Some(65.0), Throttling: provider.Some(false)},
		{Name: "nvidia1", Driver: "nvidia", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](2048), MemTotalMB: provider.Some[uint64](16384),
			BusyPct: provider.Some(100.0), TempC: provider.Some(70.0), Throttling: provider.Some(true)},
	}
	if withProcess {
		want[0].ProcessMemMB = provider.Some[uint64](256)
		want[1].ProcessMemMB = provider.Some[uint64](128)
	}
	return want
}

func TestLoaderFakeLibrary(t *testing.T) {
	for _, tt := range []struct {
		name    string
		defines []string
	}{
		{"current API", nil},
		{"v1 process list, throttle-reasons name", []string{"V1_ONLY"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lib := buildFake(t, tt.defines...)
			r, err := Open(WithLibrary(lib), WithProcFS(procFS(t, true)))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !r.HostPIDs() {
				t.Fatal("HostPIDs false under a host procfs")
			}
			got, err := r.Accelerators(context.Background(), nil)
			if err != nil {
				t.Fatalf("Accelerators: %v", err)
			}
			if d := cmp.Diff(fakeWant(true), got); d != "" {
				t.Errorf("Accelerators (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]Device{{"nvidia0", "Fake GPU 0"}, {"nvidia1", "Fake GPU 1"}}, r.Devices()); d != "" {
				t.Errorf("Devices (-want +got):\n%s", d)
			}
			// This process and PID 1: 256 MiB + 1 GiB on nvidia0.
			tree, err := r.AcceleratorsOf(context.Background(), nil, []int{os.Getpid(), 1})
			if err != nil {
				t.Fatalf("AcceleratorsOf: %v", err)
			}
			if tree[0].ProcessMemMB != provider.Some[uint64](1280) || tree[1].ProcessMemMB != provider.Some[uint64](128) {
				t.Errorf("tree's memory = %v, %v; want 1280 and 128 MiB", tree[0].ProcessMemMB, tree[1].ProcessMemMB)
			}
			if n := fakeInits(t, lib); n != 1 {
				t.Errorf("NVML initialized %d times, want once", n)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if n := fakeInits(t, lib); n != 0 {
				t.Errorf("after Close NVML is initialized %d times, want nvmlShutdown called", n)
			}
		})
	}
}

func TestLoaderOtherPIDNamespace(t *testing.T) {
	r, err := Open(WithLibrary(buildFake(t)), WithProcFS(procFS(t, false)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	got, err := r.Accelerators(context.Background(), nil)
	if err != nil {
		t.Fatalf("Accelerators: %v", err)
	}
	if d := cmp.Diff(fakeWant(false), got); d != "" {
		t.Errorf("Accelerators (-want +got):\n%s", d)
	}
}

func TestLoaderGPULost(t *testing.T) {
	r, err := Open(WithLibrary(buildFake(t, "LOST")), WithProcFS(procFS(t, true)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	got, err := r.Accelerators(context.Background(), nil)
	if !errors.Is(err, ErrGPULost) || !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "nvidia1") {
		t.Errorf("error %v, want ErrGPULost naming nvidia1", err)
	}
	want := fakeWant(true)
	want[1].MemUsedMB, want[1].MemTotalMB, want[1].BusyPct = provider.Opt[uint64]{}, provider.Opt[uint64]{}, provider.Opt[float64]{}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Accelerators (-want +got):\n%s", d)
	}
}

func TestLoaderMissingFunction(t *testing.T) {
	r, err := Open(WithLibrary(buildFake(t, "NO_COUNT")))
	if r != nil || !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "nvmlDeviceGetCount_v2") {
		t.Fatalf("Open = %v, %v; want provider.ErrUnavailable naming nvmlDeviceGetCount_v2", r, err)
	}
}

// A driver call that never returns: the read returns at its deadline and
// counts the call abandoned, Close does not wait for it, and once it
// returns its goroutine shuts NVML down and exits.
func TestLoaderHungCall(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	lib := buildFake(t, "HANG_FD="+strconv.Itoa(int(pr.Fd())))
	r, err := Open(WithLibrary(lib), WithProcFS(procFS(t, true)), WithTimeout(time.Hour))
	if err != nil {
		pw.Close()
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got, err := r.Accelerators(ctx, nil)
	if len(got) != 0 || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("hung read = %v, %v; want nothing, unavailable at the deadline", got, err)
	}
	if n := r.Abandoned(); n != 1 {
		t.Errorf("Abandoned = %d, want 1", n)
	}
	if _, err := r.Accelerators(context.Background(), nil); !errors.Is(err, errHung) {
		t.Errorf("read behind the hung call: %v, want errHung", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := fakeInits(t, lib); n != 1 {
		t.Errorf("NVML initialized %d times while the call hangs, want 1 (no shutdown under a running call)", n)
	}
	pw.Close()           // the call returns
	goleak.VerifyNone(t) // retries until the read goroutine has exited
	if n := fakeInits(t, lib); n != 0 {
		t.Errorf("after the hung call returned NVML is initialized %d times, want nvmlShutdown called", n)
	}
}

// The live check of this machine's namespace reads without error.
func TestHostPIDNamespaceLive(t *testing.T) {
	host, err := readHostPIDNamespace("/proc")
	if err != nil {
		t.Fatalf("readHostPIDNamespace(/proc): %v", err)
	}
	t.Logf("this process sees the host's PIDs: %v", host)
}

// BenchmarkLoaderAccelerators is one read of the fake library's two
// devices through the real loader: the reader plus the foreign calls.
func BenchmarkLoaderAccelerators(b *testing.B) {
	lib := buildFake(b)
	r, err := Open(WithLibrary(lib), WithProcFS("/proc"))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	dst := make([]provider.Accelerator, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = r.Accelerators(ctx, dst[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
