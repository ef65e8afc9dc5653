package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

// stepClock is a settable clock for tests.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock { return &stepClock{t: time.UnixMilli(1_764_000_000_000)} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// copyProcTree copies the fixture tree testdata/name into a fresh
// temporary directory, so a test can rewrite, add or remove files.
func copyProcTree(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// fixtureReadTimeout bounds the reads of a fixture root in the tests that
// check what a tree's files give, not how a stuck file is abandoned: a
// loaded machine, or Wine's slower file I/O, can take longer than the
// default 100 ms over a whole refresh of a fixture tree. The abandonment
// tests set their own timeouts.
const fixtureReadTimeout = time.Minute

func newTestProvider(t testing.TB, procfs, sysfs string, opts ...Option) (*Provider, *stepClock) {
	t.Helper()
	clk := newStepClock()
	p, err := New(append([]Option{WithProcFS(procfs), WithSysFS(sysfs), WithClock(clk), WithReadTimeout(fixtureReadTimeout)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, clk
}

// rssMiB is the RSS a statm fixture with the given resident pages reports
// on this machine's page size.
func rssMiB(pages uint64) provider.Opt[uint64] {
	return provider.MiB(pages * uint64(os.Getpagesize()))
}

func TestFixtureTrees(t *testing.T) {
	tests := []struct {
		name, procfs, sysfs string
		rssPages            uint64 // self/statm resident pages
		avail, total        uint64 // bytes
		pressure            provider.MemoryPressure
	}{
		// 16 GiB laptop, pure cgroup v2 with every memory.max "max",
		// quiet PSI: host values only.
		{"laptop", "procfs-laptop", "cgroup-laptop", 102400, 10894576 << 10, 16303392 << 10, provider.MemoryPressureNormal},
		// Kubernetes pod on a 64 GiB node: kubepods 60 GiB, pod 2 GiB,
		// container 1.5 GiB (tightest); 1 GiB used of which 256 MiB
		// inactive file cache → 768 MiB available, 50 % → normal, raised
		// to warn by PSI some avg10=12.50.
		{"kubernetes cgroup v2", "procfs-k8s", "cgroup-k8s", 131072, 768 << 20, 1536 << 20, provider.MemoryPressureWarn},
		// docker on a hybrid host: memory controller on v1, limit 512 MiB,
		// usage 384 MiB, total_inactive_file 64 MiB → 192 MiB. The huge
		// unset limits of the parents are no bound. No PSI.
		{"cgroup v1 container", "procfs-v1", "cgroup-v1", 65536, 192 << 20, 512 << 20, provider.MemoryPressureNormal},
		// 2.6.32: no MemAvailable (MemFree+Buffers+Cached = 461960 kB),
		// eight /proc/stat columns, no PSI, no cgroup file.
		{"old kernel", "procfs-oldkernel", "cgroup-laptop", 1024, 461960 << 10, 1030440 << 10, provider.MemoryPressureNormal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := provider.Snapshot{
				ProcessRSSMB:   rssMiB(tt.rssPages),
				AvailableMemMB: provider.Some(tt.avail >> 20),
				TotalMemMB:     provider.Some(tt.total >> 20),
				MemoryPressure: tt.pressure,
				CapturedAtMS:   newStepClock().Now().UnixMilli(),
				// Off the wire, the bytes as read.
				Bytes: provider.MemoryBytes{
					ProcessRSS: provider.Some(tt.rssPages * uint64(os.Getpagesize())),
					Available:  provider.Some(tt.avail),
					Total:      provider.Some(tt.total),
				},
			}
			p, _ := newTestProvider(t, filepath.Join("testdata", tt.procfs), filepath.Join("testdata", tt.sysfs))
			// Two reads: the fixture's counters do not move, so there is
			// still no CPU value (Δtotal = 0 gives nothing new).
			for i := range 2 {
				got, err := p.Snapshot(context.Background())
				if err != nil {
					t.Fatalf("read %d: %v", i, err)
				}
				// The cumulative CPU counters have their own test.
				got.Counters = provider.Counters{}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("read %d (-want +got):\n%s", i, diff)
				}
			}
			// Snapshot never reads the slow signals.
			if got, _ := p.Snapshot(context.Background()); got.Thermal != provider.ThermalUnknown || got.BatteryPct.Valid {
				t.Errorf("Snapshot read slow signals: %+v", got)
			}
		})
	}
}

func TestCPUDelta(t *testing.T) {
	root := copyProcTree(t, "procfs-laptop")
	p, _ := newTestProvider(t, root, t.TempDir())
	steps := []struct {
		name string
		stat string
		want provider.Opt[float64]
	}{
		{"first read: no delta", "cpu 100 0 100 800 0 0 0 0\n", provider.Opt[float64]{}},
		{"25 % busy", "cpu 150 0 150 1100 0 0 0 0\n", provider.Some(25.0)},
		{"iowait counts as idle", "cpu 200 0 200 1150 100 0 0 0\n", provider.Some(40.0)},
		{"steal counts as busy", "cpu 200 0 200 1150 100 0 0 100\n", provider.Some(100.0)},
		{"no ticks elapsed: keep last", "cpu 200 0 200 1150 100 0 0 100\n", provider.Some(100.0)},
		{"total backwards: keep last", "cpu 10 0 10 10 0 0 0 0\n", provider.Some(100.0)},
		{"after a rebase deltas resume", "cpu 10 0 10 110 0 0 0 0\n", provider.Some(0.0)},
		{"idle backwards: keep last", "cpu 60 0 10 100 0 0 0 0\n", provider.Some(0.0)},
		{"guest is not added twice", "cpu 110 0 10 150 0 0 0 0 40 0\n", provider.Some(50.0)},
		{"garbage: keep last", "cpu x\n", provider.Some(50.0)},
		{"delta from the last good read", "cpu 210 0 10 150 0 0 0 0\n", provider.Some(100.0)},
		{"irq and softirq count as busy", "cpu 210 0 10 200 0 25 25 0\n", provider.Some(50.0)},
		{"nice counts as busy", "cpu 210 30 10 270 0 25 25 0\n", provider.Some(30.0)},
	}
	for _, st := range steps {
		writeTree(t, root, map[string]string{"stat": st.stat})
		got, _ := p.Snapshot(context.Background())
		if got.CPUPct != st.want {
			t.Errorf("%s: cpu = %+v; want %+v", st.name, got.CPUPct, st.want)
		}
	}
}

// TestRereadIsFresh: a file kept open and re-read with pread at offset 0
// sees the new content each time, shorter or longer.
func TestRereadIsFresh(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "meminfo")
	pf := newProcFile(name)
	defer pf.close()
	buf := make([]byte, 64)
	for _, content := range []string{"MemTotal: 100 kB\n", "MemTotal: 2 kB\n", strings.Repeat("x", 200) + "\nMemTotal: 300000 kB\n"} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := pf.read(&buf, true)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("re-read = %q; want %q", got, content)
		}
		if !pf.open {
			t.Fatal("file was not kept open")
		}
	}
	if len(buf) < 200 {
		t.Errorf("buffer did not grow to hold the whole file: %d", len(buf))
	}
	// A prefix read does not grow the buffer.
	small := make([]byte, 8)
	if got, err := pf.read(&small, false); err != nil || string(got) != "xxxxxxxx" || len(small) != 8 {
		t.Errorf("prefix read = %q, %v, len %d", got, err, len(small))
	}
}

// TestReopenAfterError: a failed read closes the file and the next read
// reopens it, so a source that comes back is picked up again.
func TestReopenAfterError(t *testing.T) {
	root := copyProcTree(t, "procfs-laptop")
	meminfo := filepath.Join(root, "meminfo")
	good, err := os.ReadFile(meminfo)
	if err != nil {
		t.Fatal(err)
	}
	// A directory opens but every read fails (EISDIR).
	if err := os.Remove(meminfo); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(meminfo, 0o755); err != nil {
		t.Fatal(err)
	}
	p, _ := newTestProvider(t, root, t.TempDir())
	s, err := p.Snapshot(context.Background())
	if err == nil || s.TotalMemMB.Valid || s.AvailableMemMB.Valid {
		t.Fatalf("unreadable meminfo: %+v, %v; want unknown memory and an error", s, err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != meminfo {
		t.Errorf("error %v does not name %s", err, meminfo)
	}
	if !s.ProcessRSSMB.Valid {
		t.Error("a memory fault lost the RSS too")
	}
	// The same fault again reuses its error: no error storm of new values.
	if _, err2 := p.Snapshot(context.Background()); err2 != err {
		t.Errorf("repeated fault built a new error: %v", err2)
	}
	if err := os.Remove(meminfo); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meminfo, good, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = p.Snapshot(context.Background())
	if err != nil || !s.TotalMemMB.Valid || !s.AvailableMemMB.Valid {
		t.Fatalf("after meminfo came back: %+v, %v", s, err)
	}
}

func TestHostile(t *testing.T) {
	const (
		laptopTotal = 16303392 / 1024
		laptopAvail = 10894576 / 1024
	)
	tests := []struct {
		name    string
		procfs  string
		sysfs   string
		files   map[string]string // rewritten under the copied procfs
		sysw    map[string]string // rewritten under the copied sysfs
		remove  []string          // removed under procfs
		check   func(t *testing.T, s provider.Snapshot)
		wantErr error // nil: no error
	}{
		{
			name: "empty meminfo", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"meminfo": ""},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.TotalMemMB.Valid || s.AvailableMemMB.Valid {
					t.Errorf("memory from an empty meminfo: %+v", s)
				}
				if s.MemoryPressure != provider.MemoryPressureNormal {
					t.Errorf("pressure %v; want normal from PSI alone", s.MemoryPressure)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "garbage stat", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files:   map[string]string{"stat": "\x00\xff garbage\n"},
			check:   func(t *testing.T, s provider.Snapshot) { wantMem(t, s, laptopTotal, laptopAvail) },
			wantErr: provider.ErrInvalid,
		},
		{
			name: "empty stat", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files:   map[string]string{"stat": ""},
			check:   func(t *testing.T, s provider.Snapshot) { wantMem(t, s, laptopTotal, laptopAvail) },
			wantErr: provider.ErrInvalid,
		},
		{
			// 200 KiB resident (50 pages of 4 KiB, fewer of larger pages):
			// a known 0, never null (docs/contract.md §2).
			name: "rss under 1 MiB", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"self/statm": fmt.Sprintf("100 %d 0 0 0 0 0\n", 200<<10/os.Getpagesize())},
			check: func(t *testing.T, s provider.Snapshot) {
				if b := s.AppendJSON(nil); s.Wire().ProcessRSSMB != provider.Some[uint64](0) || !strings.Contains(string(b), `"process_rss_mb":0,`) {
					t.Errorf("rss of 200 KiB: %+v, %s; want a known 0", s.ProcessRSSMB, b)
				}
			},
		},
		{
			name: "no resident pages", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"self/statm": "100 0 0 0 0 0 0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if b := s.AppendJSON(nil); !strings.Contains(string(b), `"process_rss_mb":null`) {
					t.Errorf("rss of 0 bytes: %s; want null (unknown)", b)
				}
			},
		},
		{
			name: "negative statm", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"self/statm": "-5 -7 0 0 0 0 0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.ProcessRSSMB.Valid {
					t.Errorf("rss from a negative statm: %+v", s.ProcessRSSMB)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "statm pages overflow bytes", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"self/statm": "1 18446744073709551615 0 0 0 0 0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.ProcessRSSMB.Valid {
					t.Errorf("rss from an overflowing statm: %+v", s.ProcessRSSMB)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "zombie statm is unknown, not an error", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"self/statm": "0 0 0 0 0 0 0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.ProcessRSSMB.Valid {
					t.Errorf("rss of a zombie: %+v", s.ProcessRSSMB)
				}
			},
		},
		{
			name: "overflowed meminfo", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"meminfo": "MemTotal: 99999999999999999999 kB\nMemAvailable: 18014398509481984 kB\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.TotalMemMB.Valid || s.AvailableMemMB.Valid {
					t.Errorf("memory from overflowing values: %+v", s)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "available above total is clamped", procfs: "procfs-laptop", sysfs: "cgroup-laptop",
			files: map[string]string{"meminfo": "MemTotal: 1048576 kB\nMemAvailable: 2097152 kB\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 1024, 1024) },
		},
		{
			name: "PSI missing is ignored", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			remove: []string{"pressure/memory"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.MemoryPressure != provider.MemoryPressureNormal {
					t.Errorf("pressure %v; want normal (derived only)", s.MemoryPressure)
				}
			},
		},
		{
			name: "PSI garbage does not raise, and warns", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=lots\nfull avg10=-3\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.MemoryPressure != provider.MemoryPressureNormal {
					t.Errorf("pressure %v; want normal", s.MemoryPressure)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "PSI full raises to critical", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=80.00 avg60=0 avg300=0 total=0\nfull avg10=25.00 avg60=0 avg300=0 total=0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				if s.MemoryPressure != provider.MemoryPressureCritical {
					t.Errorf("pressure %v; want critical", s.MemoryPressure)
				}
			},
		},
		{
			name: "parent cgroup tighter than the container", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/memory.max": "max\n"},
			// pod 2 GiB, pod current 1900000000, inactive 0 → 236 MiB
			// available of 2048: 11.5 % → warn.
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 2048, (2147483648-1900000000)>>20)
				if s.MemoryPressure != provider.MemoryPressureWarn {
					t.Errorf("pressure %v; want warn", s.MemoryPressure)
				}
			},
		},
		{
			// The walk keeps going past the first numeric limit: the
			// container's 3 GiB is looser than the pod's 2 GiB.
			name: "tightest limit, not the first numeric one", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw:  map[string]string{k8sScope + "/memory.max": "3221225472\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 2048, (2147483648-1900000000)>>20) },
		},
		{
			name: "PSI some avg10 exactly 10 is warn", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=10.00 avg60=0 avg300=0 total=0\nfull avg10=9.99 avg60=0 avg300=0 total=0\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantPressure(t, s, provider.MemoryPressureWarn) },
		},
		{
			name: "PSI below 10 does not raise", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=9.99 avg60=90 avg300=90 total=0\nfull avg10=9.99 avg60=90 avg300=90 total=0\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantPressure(t, s, provider.MemoryPressureNormal) },
		},
		{
			name: "PSI full avg10 exactly 10 is critical", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=10.00 avg60=0 avg300=0 total=0\nfull avg10=10.00 avg60=0 avg300=0 total=0\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantPressure(t, s, provider.MemoryPressureCritical) },
		},
		{
			// PSI only raises: a quiet PSI leaves the derived critical.
			name: "quiet PSI does not lower", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			files: map[string]string{"pressure/memory": "some avg10=0.00 avg60=0 avg300=0 total=0\nfull avg10=0.00 avg60=0 avg300=0 total=0\n"},
			sysw:  map[string]string{k8sScope + "/memory.current": "1610612736\n", k8sScope + "/memory.stat": "inactive_file 50000000\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 1536, 50000000>>20) // 47 of 1536 MiB: 3 %
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			name: "limit above host total is no bound", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{
				k8sScope + "/memory.max":              "137438953472\n", // 128 GiB
				k8sPod + "/memory.max":                "max\n",
				"fs/cgroup/kubepods.slice/memory.max": "67422621696\n", // exactly host MemTotal
			},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 65842404/1024, 48934120/1024) },
		},
		{
			// The container is exactly at its limit: a known 0 available
			// (not unknown) and critical pressure, the moment it matters.
			name: "exactly at the limit: 0 available, critical", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/memory.current": "1610612736\n", k8sScope + "/memory.stat": "inactive_file 0\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 1536, 0)
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			name: "under 1 MiB left: 0 available, critical", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/memory.current": "1610612736\n", k8sScope + "/memory.stat": "inactive_file 1048575\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 1536, 0)
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			name: "usage above limit floors available at a known 0", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/memory.current": "4294967296\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 1536, 0)
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			name: "inactive above usage: nothing used", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw:  map[string]string{k8sScope + "/memory.stat": "inactive_file 9999999999\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 1536, 1536) },
		},
		{
			name: "memory.stat missing: usage counts whole", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw:    map[string]string{k8sScope + "/memory.stat": "anon 1\n"},
			check:   func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 1536, 512) },
			wantErr: provider.ErrInvalid,
		},
		{
			name: "garbage memory.max at the leaf: the parent bounds", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw:    map[string]string{k8sScope + "/memory.max": "lots\n"},
			check:   func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 2048, (2147483648-1900000000)>>20) },
			wantErr: provider.ErrInvalid,
		},
		{
			name: "negative memory.current", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/memory.current": "-1\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				// Bounded, but the cgroup's usage is unknown: its available
				// memory is unknown rather than guessed from the host's.
				if s.TotalMemMB != provider.Some[uint64](1536) || s.AvailableMemMB.Valid {
					t.Errorf("total %+v avail %+v; want 1536 and unknown", s.TotalMemMB, s.AvailableMemMB)
				}
			},
			wantErr: provider.ErrInvalid,
		},
		{
			name: "v1 limit at host total is no bound", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw:  map[string]string{"fs/cgroup/memory/docker/9b3e/memory.limit_in_bytes": "8234319872\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 8041328/1024, 5123904/1024) },
		},
		{
			// docker/ 256 MiB is tighter than the container's 512 MiB: it
			// bounds, with its own usage (128 MiB) and total_inactive_file
			// (32 MiB) → 160 MiB available.
			name: "v1 parent tighter than the container", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw: map[string]string{
				"fs/cgroup/memory/docker/memory.limit_in_bytes": "268435456\n",
				"fs/cgroup/memory/docker/memory.usage_in_bytes": "134217728\n",
				"fs/cgroup/memory/docker/memory.stat":           "inactive_file 1\ntotal_inactive_file 33554432\n",
			},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 256, 160) },
		},
		{
			name: "v1 usage above limit floors available at a known 0", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw: map[string]string{"fs/cgroup/memory/docker/9b3e/memory.usage_in_bytes": "1073741824\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 512, 0)
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			// limit − (usage − total_inactive_file) = 512 MiB − (576 − 64) = 0.
			name: "v1 exactly at the limit", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw: map[string]string{"fs/cgroup/memory/docker/9b3e/memory.usage_in_bytes": "603979776\n"},
			check: func(t *testing.T, s provider.Snapshot) {
				wantMem(t, s, 512, 0)
				wantPressure(t, s, provider.MemoryPressureCritical)
			},
		},
		{
			name: "v1 negative limit", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw:    map[string]string{"fs/cgroup/memory/docker/9b3e/memory.limit_in_bytes": "-1\n"},
			check:   func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 8041328/1024, 5123904/1024) },
			wantErr: provider.ErrInvalid,
		},
		{
			name: "cgroup file climbing out of the mount", procfs: "procfs-v1", sysfs: "cgroup-v1",
			files: map[string]string{"self/cgroup": "10:memory:/../../../../docker/9b3e\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 512, 192) },
		},
		{
			// A container with its own cgroup namespace (containerd on
			// cgroup v2): /proc/self/cgroup says "0::/" and the cgroup2
			// mount root is the container's cgroup, with its memory.max.
			name: "v2 cgroup namespace: the mount root bounds", procfs: "procfs-k8s", sysfs: "cgroup-laptop",
			files: map[string]string{"self/cgroup": "0::/\n"},
			sysw: map[string]string{
				"fs/cgroup/memory.max":     "1610612736\n",
				"fs/cgroup/memory.current": "1073741824\n",
				"fs/cgroup/memory.stat":    "anon 805306368\ninactive_file 268435456\n",
			},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 1536, 768) },
		},
		{
			// docker on cgroup v1 without a cgroup namespace: the path in
			// /proc/self/cgroup is the host's, but the memory mount is the
			// container's own cgroup (no cgroup.sane_behavior: not the
			// hierarchy root). The walk up reaches it.
			name: "v1 container mount: the walk reaches the mount root", procfs: "procfs-v1", sysfs: "cgroup-laptop",
			sysw: map[string]string{
				"fs/cgroup/memory/memory.limit_in_bytes": "536870912\n",
				"fs/cgroup/memory/memory.usage_in_bytes": "402653184\n",
				"fs/cgroup/memory/memory.stat":           "total_inactive_file 67108864\n",
			},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 512, 192) },
		},
		{
			name: "garbage cgroup file: no bound", procfs: "procfs-v1", sysfs: "cgroup-v1",
			files: map[string]string{"self/cgroup": "\x00\x01:::\n"},
			check: func(t *testing.T, s provider.Snapshot) { wantMem(t, s, 8041328/1024, 5123904/1024) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			procfs := copyProcTree(t, tt.procfs)
			sysfs := copyProcTree(t, tt.sysfs)
			writeTree(t, procfs, tt.files)
			writeTree(t, sysfs, tt.sysw)
			for _, r := range tt.remove {
				if err := os.Remove(filepath.Join(procfs, r)); err != nil {
					t.Fatal(err)
				}
			}
			p, _ := newTestProvider(t, procfs, sysfs)
			s, err := p.Snapshot(context.Background())
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("error %v; want one wrapping %v", err, tt.wantErr)
			}
			if s.MemoryPressure > provider.MemoryPressureCritical {
				t.Errorf("pressure out of range: %v", s.MemoryPressure)
			}
			tt.check(t, s)
		})
	}
}

// keepOpen makes every file of p kept open between reads, as on a live
// procfs and cgroupfs.
func keepOpen(p *Provider) {
	for _, pf := range p.fast.files() {
		pf.fresh = false
	}
}

const (
	k8sPod   = "fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1e.slice"
	k8sScope = k8sPod + "/cri-containerd-4f2a.scope"
)

func wantPressure(t *testing.T, s provider.Snapshot, want provider.MemoryPressure) {
	t.Helper()
	if s.MemoryPressure != want {
		t.Errorf("pressure %v; want %v", s.MemoryPressure, want)
	}
}

func wantMem(t *testing.T, s provider.Snapshot, total, avail uint64) {
	t.Helper()
	if s.TotalMemMB != provider.Some(total) || s.AvailableMemMB != provider.Some(avail) {
		t.Errorf("total %+v avail %+v; want %d and %d MiB", s.TotalMemMB, s.AvailableMemMB, total, avail)
	}
}

// TestBoundReread: the cgroup limits and PSI are re-read on their cadence,
// the bounding cgroup's usage on every refresh, and the host total only
// once.
func TestBoundReread(t *testing.T) {
	procfs := copyProcTree(t, "procfs-k8s")
	sysfs := copyProcTree(t, "cgroup-k8s")
	p, clk := newTestProvider(t, procfs, sysfs)
	ctx := context.Background()
	s, _ := p.Snapshot(ctx)
	wantMem(t, s, 1536, 768)

	writeTree(t, sysfs, map[string]string{
		k8sScope + "/memory.max":     "1073741824\n", // resized to 1 GiB
		k8sScope + "/memory.current": "805306368\n",  // 768 MiB used
	})
	writeTree(t, procfs, map[string]string{
		"pressure/memory": "some avg10=50.00 avg60=0 avg300=0 total=0\nfull avg10=50.00 avg60=0 avg300=0 total=0\n",
		"meminfo":         "MemTotal: 1024 kB\nMemAvailable: 1024 kB\n",
	})
	clk.advance(slowEvery / 2)
	s, _ = p.Snapshot(ctx)
	// Usage is fresh (1536 − (768 − 256) = 1024); the limit and PSI are
	// not re-read yet; the host total never changes.
	wantMem(t, s, 1536, 1)
	writeTree(t, procfs, map[string]string{"meminfo": "MemTotal: 1024 kB\nMemAvailable: 4194304 kB\n"})
	s, _ = p.Snapshot(ctx)
	wantMem(t, s, 1536, 1024)
	if s.MemoryPressure != provider.MemoryPressureWarn {
		t.Errorf("pressure %v before the cadence; want warn (old PSI)", s.MemoryPressure)
	}

	clk.advance(slowEvery / 2)
	s, _ = p.Snapshot(ctx)
	wantMem(t, s, 1024, 512)
	if s.MemoryPressure != provider.MemoryPressureCritical {
		t.Errorf("pressure %v after the cadence; want critical (new PSI)", s.MemoryPressure)
	}
	if p.fast.hostTotal != 65842404*1024 {
		t.Errorf("host total changed to %d; it is read once", p.fast.hostTotal)
	}

	// A clock stepped backwards (NTP, a VM resumed) does not freeze the
	// cadence until it catches up: the limits are read again at once.
	writeTree(t, sysfs, map[string]string{k8sScope + "/memory.max": "1610612736\n"})
	clk.advance(-time.Hour)
	if s, _ = p.Snapshot(ctx); s.TotalMemMB != provider.Some[uint64](1536) {
		t.Errorf("total %+v after the clock went back; want the re-read 1536", s.TotalMemMB)
	}
	// And the cadence runs from there.
	writeTree(t, sysfs, map[string]string{k8sScope + "/memory.max": "1073741824\n"})
	clk.advance(slowEvery - time.Millisecond)
	if s, _ = p.Snapshot(ctx); s.TotalMemMB != provider.Some[uint64](1536) {
		t.Errorf("total %+v before the cadence; want 1536", s.TotalMemMB)
	}
	clk.advance(time.Millisecond)
	if s, _ = p.Snapshot(ctx); s.TotalMemMB != provider.Some[uint64](1024) {
		t.Errorf("total %+v on the cadence; want 1024", s.TotalMemMB)
	}
}

// TestPSIUnsupported: the errors a kernel without PSI gives are ignored
// (PSI off for good); any other failure is a fault worth reporting.
func TestPSIUnsupported(t *testing.T) {
	const psi = "/proc/pressure/memory"
	tests := []struct {
		err  error
		want bool
	}{
		{&fs.PathError{Op: "read", Path: psi, Err: syscall.EOPNOTSUPP}, true},
		{&fs.PathError{Op: "open", Path: psi, Err: syscall.ENOENT}, true},
		{fmt.Errorf("wrapped: %w", &fs.PathError{Op: "read", Path: psi, Err: syscall.EOPNOTSUPP}), true},
		{errors.ErrUnsupported, true},
		{&fs.PathError{Op: "read", Path: psi, Err: syscall.EIO}, false},
		{&fs.PathError{Op: "open", Path: psi, Err: syscall.EACCES}, false},
		{provider.ErrInvalid, false},
	}
	for _, tt := range tests {
		if got := psiUnsupported(tt.err); got != tt.want {
			t.Errorf("psiUnsupported(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
}

// TestPSIOffIsNotRetried: once PSI is found missing, the file is not tried
// again, so a kernel without PSI costs nothing per refresh.
func TestPSIOffIsNotRetried(t *testing.T) {
	procfs := copyProcTree(t, "procfs-k8s")
	if err := os.Remove(filepath.Join(procfs, "pressure", "memory")); err != nil {
		t.Fatal(err)
	}
	p, clk := newTestProvider(t, procfs, filepath.Join("testdata", "cgroup-k8s"))
	s, err := p.Snapshot(context.Background())
	if err != nil || s.MemoryPressure != provider.MemoryPressureNormal {
		t.Fatalf("no PSI: %v, %v; want normal (derived), nil", s.MemoryPressure, err)
	}
	writeTree(t, procfs, map[string]string{"pressure/memory": "some avg10=50.00\nfull avg10=50.00\n"})
	clk.advance(slowEvery)
	if s, _ := p.Snapshot(context.Background()); s.MemoryPressure != provider.MemoryPressureNormal {
		t.Errorf("pressure %v; PSI was re-tried after it was found absent", s.MemoryPressure)
	}
}

// TestPIDDirName: the default pid is the calling process under the live
// /proc and the root's "self" under a fixture root (docs/contract.md §6).
func TestPIDDirName(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	if filepath.Clean("/proc") != defaultProcFS { // Windows: \proc on the current drive
		self = "self"
	}
	tests := []struct {
		procfs string
		pid    int
		want   string
	}{
		{"/proc", 0, self},
		{"/proc/", 0, self},
		{"/proc/.", 0, self},
		{"testdata/procfs-k8s", 0, "self"},
		{"/srv/proc", 0, "self"},
		{"/proc", 42, "42"},
		{"testdata/procfs-k8s", 42, "42"},
	}
	for _, tt := range tests {
		if got := pidDirName(tt.procfs, tt.pid); got != tt.want {
			t.Errorf("pidDirName(%q, %d) = %q; want %q", tt.procfs, tt.pid, got, tt.want)
		}
	}
}

func TestWithPID(t *testing.T) {
	procfs := copyProcTree(t, "procfs-laptop")
	writeTree(t, procfs, map[string]string{"4242/statm": "10 2560 0 0 0 0 0\n"})
	p, _ := newTestProvider(t, procfs, t.TempDir(), WithPID(4242))
	s, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.ProcessRSSMB != rssMiB(2560) {
		t.Errorf("rss %+v; want pid 4242's %+v", s.ProcessRSSMB, rssMiB(2560))
	}
}

// TestProcessExited: a pid whose directory is gone is reported once, then
// its RSS stays unknown without an error, and nothing else is lost.
func TestProcessExited(t *testing.T) {
	procfs := copyProcTree(t, "procfs-laptop")
	writeTree(t, procfs, map[string]string{"4242/statm": "10 2560 0 0 0 0 0\n"})
	p, _ := newTestProvider(t, procfs, t.TempDir(), WithPID(4242))
	if err := os.RemoveAll(filepath.Join(procfs, "4242")); err != nil {
		t.Fatal(err)
	}
	s, err := p.Snapshot(context.Background())
	if !errors.Is(err, provider.ErrUnavailable) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("first read after exit: error %v; want ErrUnavailable wrapping ErrNotExist", err)
	}
	if s.ProcessRSSMB.Valid || !s.TotalMemMB.Valid {
		t.Errorf("snapshot %+v; want unknown RSS, memory still read", s)
	}
	for i := range 3 {
		s, err = p.Snapshot(context.Background())
		if err != nil || s.ProcessRSSMB.Valid {
			t.Errorf("read %d after exit: %+v, %v; want unknown RSS and no error", i, s.ProcessRSSMB, err)
		}
	}
	// The pid may be reused by another process: it is not read again.
	writeTree(t, procfs, map[string]string{"4242/statm": "10 2560 0 0 0 0 0\n"})
	if s, _ = p.Snapshot(context.Background()); s.ProcessRSSMB.Valid {
		t.Error("read a reused pid")
	}
}

func TestNewErrors(t *testing.T) {
	procfs := copyProcTree(t, "procfs-laptop")
	writeTree(t, procfs, map[string]string{"1": "not a directory"})
	file := filepath.Join(t.TempDir(), "file")
	writeTree(t, filepath.Dir(file), map[string]string{"file": "x"})
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name   string
		opts   []Option
		want   []error
		naming string
	}{
		{"missing procfs", []Option{WithProcFS(missing)}, []error{ErrRoot, fs.ErrNotExist}, missing},
		{"procfs is a file", []Option{WithProcFS(file)}, []error{ErrRoot}, file},
		{"missing sysfs", []Option{WithProcFS(procfs), WithSysFS(missing)}, []error{ErrRoot, fs.ErrNotExist}, missing},
		{"missing pid", []Option{WithProcFS(procfs), WithSysFS(procfs), WithPID(99999)}, []error{ErrNoProcess, fs.ErrNotExist}, "no process 99999"},
		{"pid is a file", []Option{WithProcFS(procfs), WithSysFS(procfs), WithPID(1)}, []error{ErrRoot}, "not a directory"},
		{"negative pid", []Option{WithProcFS(procfs), WithSysFS(procfs), WithPID(-1)}, []error{provider.ErrInvalid}, "-1"},
		{"empty root", []Option{WithProcFS("")}, []error{ErrRoot}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.opts...)
			if p != nil || err == nil {
				t.Fatalf("New = %v, %v; want an error", p, err)
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("error %v does not wrap %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tt.naming) {
				t.Errorf("error %q does not name %q", err, tt.naming)
			}
		})
	}
}

func TestCloseAndContext(t *testing.T) {
	p, _ := newTestProvider(t, filepath.Join("testdata", "procfs-laptop"), filepath.Join("testdata", "cgroup-laptop"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := p.Snapshot(ctx)
	if !errors.Is(err, context.Canceled) || s.TotalMemMB.Valid || s.CapturedAtMS == 0 {
		t.Errorf("cancelled: %+v, %v; want unknown with a timestamp and context.Canceled", s, err)
	}
	if _, err := p.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Snapshot(context.Background()); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("Snapshot after Close: %v; want ErrClosed", err)
	}
	if _, err := p.Thermal(context.Background()); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("Thermal after Close: %v; want ErrClosed", err)
	}
	if _, err := p.Battery(context.Background()); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("Battery after Close: %v; want ErrClosed", err)
	}
	if p.fast.stat.open || p.fast.meminfo.open || p.fast.statm.open {
		t.Error("Close left files open")
	}
}

func TestConcurrentSnapshots(t *testing.T) {
	root := copyProcTree(t, "procfs-k8s")
	p, _ := newTestProvider(t, root, filepath.Join("testdata", "cgroup-k8s"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				// The stat writer below may be caught mid-write (an
				// ErrInvalid); memory is never rewritten.
				s, _ := p.Snapshot(context.Background())
				if s.TotalMemMB != provider.Some[uint64](1536) {
					t.Errorf("total %+v", s.TotalMemMB)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			content := "cpu " + strings.Repeat("1", i%9+1) + " 0 0 100000000000 0\n"
			if err := os.WriteFile(filepath.Join(root, "stat"), []byte(content), 0o644); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshDoesNotAllocate proves the steady-state refresh is
// allocation-free on a bounded cgroup v2 tree with every source re-read on
// every refresh (limits, usage, memory.stat, PSI). A fixture tree is read
// afresh on every read (an open allocates its path); here its files are
// kept open as a live procfs's are, so the test measures the refresh
// logic itself.
func TestRefreshDoesNotAllocate(t *testing.T) {
	p, _ := newTestProvider(t, filepath.Join("testdata", "procfs-k8s"), filepath.Join("testdata", "cgroup-k8s"))
	p.fast.slow.every = 0
	keepOpen(p)
	ctx := context.Background()
	p.Snapshot(ctx) // warm up: open files
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("refresh allocates %v times; want 0", allocs)
	}
}

// TestCgroupVanishes: the container's cgroup directory disappears between
// construction and the read; the error names it and the next level up
// still bounds the memory.
func TestCgroupVanishes(t *testing.T) {
	procfs := copyProcTree(t, "procfs-k8s")
	sysfs := copyProcTree(t, "cgroup-k8s")
	p, _ := newTestProvider(t, procfs, sysfs)
	if err := os.RemoveAll(filepath.Join(sysfs, filepath.FromSlash(k8sScope))); err != nil {
		t.Fatal(err)
	}
	s, err := p.Snapshot(context.Background())
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "cri-containerd-4f2a.scope") {
		t.Errorf("error %v; want ErrNotExist naming the container's cgroup", err)
	}
	wantMem(t, s, 2048, (2147483648-1900000000)>>20)
}
