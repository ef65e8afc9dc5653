package linux

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

// gpuTree builds a procfs and a sysfs root with DRM devices and the
// observed process's ("self") descriptors, as the kernel lays them out:
// class/drm/cardN/device is a link to the device directory, whose driver
// link names the driver; /proc/<pid>/fd/N links to the device node and
// /proc/<pid>/fdinfo/N holds the client's usage stats.
type gpuTree struct {
	t             *testing.T
	procfs, sysfs string
}

func newGPUTree(t *testing.T) *gpuTree {
	skipWineSymlinks(t) // the device and descriptor links are the tree
	procfs, sysfs := capTree(t, nil)
	return &gpuTree{t: t, procfs: procfs, sysfs: sysfs}
}

func (g *gpuTree) write(path, content string) {
	g.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gpuTree) link(target, path string) {
	g.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		g.t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		g.t.Fatal(err)
	}
}

// device adds a device directory under sys/devices with its driver link
// and attributes, and links class/<class>/<name>/device to it.
func (g *gpuTree) device(class, name, busAddr, driver string, attrs map[string]string) {
	dev := filepath.Join(g.sysfs, "devices", busAddr)
	for k, v := range attrs {
		g.write(filepath.Join(dev, k), v+"\n")
	}
	if err := os.MkdirAll(dev, 0o755); err != nil {
		g.t.Fatal(err)
	}
	if driver != "" {
		g.link("../../bus/drivers/"+driver, filepath.Join(dev, "driver"))
	}
	g.link("../../../devices/"+busAddr, filepath.Join(g.sysfs, "class", class, name, "device"))
}

// fd opens descriptor n of process pid on node with the given fdinfo.
func (g *gpuTree) fd(pid string, n int, node, fdinfo string) {
	g.link(node, filepath.Join(g.procfs, pid, "fd", strconv.Itoa(n)))
	g.write(filepath.Join(g.procfs, pid, "fdinfo", strconv.Itoa(n)), "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1234\n"+fdinfo)
}

func (g *gpuTree) read() ([]provider.Accelerator, error) {
	g.t.Helper()
	p, clk := newTestProvider(g.t, g.procfs, g.sysfs)
	_ = clk
	return p.Accelerators(g.t.Context(), nil)
}

const (
	amdFDInfo = "drm-driver:\tamdgpu\ndrm-client-id:\t14\ndrm-pdev:\t0000:03:00.0\npasid:\t32770\n" +
		"drm-memory-vram:\t999 KiB\ndrm-memory-gtt:\t2048 KiB\ndrm-memory-cpu:\t0 KiB\n" +
		"drm-total-vram:\t524288 KiB\ndrm-shared-vram:\t0\ndrm-resident-vram:\t262144 KiB\n" +
		"drm-total-gtt:\t2048 KiB\ndrm-engine-gfx:\t1234567 ns\ndrm-engine-compute:\t0 ns\n"
	i915FDInfo = "drm-driver:\ti915\ndrm-client-id:\t7\ndrm-pdev:\t0000:00:02.0\n" +
		"drm-total-system0:\t102400 KiB\ndrm-shared-system0:\t0\ndrm-active-system0:\t0\ndrm-resident-system0:\t51200 KiB\n" +
		"drm-purgeable-system0:\t0\ndrm-total-stolen-system0:\t0\ndrm-resident-stolen-system0:\t0\n" +
		"drm-engine-render:\t25662044495 ns\ndrm-engine-copy:\t0 ns\ndrm-engine-video:\t0 ns\ndrm-engine-capacity-video:\t2\n"
	xeFDInfo = "drm-driver:\txe\ndrm-client-id:\t4\ndrm-pdev:\t0000:03:00.0\n" +
		"drm-total-system:\t4 MiB\ndrm-resident-system:\t4 MiB\ndrm-total-gtt:\t0\n" +
		"drm-total-vram0:\t768 MiB\ndrm-resident-vram0:\t512 MiB\n" +
		"drm-cycles-rcs:\t28257900\ndrm-total-cycles-rcs:\t7655183225\n"
	msmFDInfo = "drm-driver:\tmsm\ndrm-client-id:\t3\ndrm-pdev:\t5000000.gpu\n" +
		"drm-engine-gpu:\t1000000 ns\ndrm-cycles-gpu:\t12345\ndrm-maxfreq-gpu:\t700000000 Hz\n" +
		"drm-resident-memory:\t32768 KiB\ndrm-total-memory:\t65536 KiB\ndrm-shared-memory:\t0\n"
	panfrostFDInfo = "drm-driver:\tpanfrost\ndrm-client-id:\t9\ndrm-pdev:\tfde60000.gpu\n" +
		"drm-engine-fragment:\t1000 ns\ndrm-cycles-fragment:\t300\ndrm-engine-vertex-tiler:\t400 ns\n" +
		"drm-total-memory:\t8 MiB\ndrm-resident-memory:\t6 MiB\n"
)

func TestAcceleratorsDrivers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(g *gpuTree)
		want  []provider.Accelerator
	}{
		{"amdgpu discrete", func(g *gpuTree) {
			g.device("drm", "card0", "0000:03:00.0", "amdgpu", map[string]string{
				"mem_info_vram_total": "17163091968", "mem_info_vram_used": "1073741824", "gpu_busy_percent": "42",
				"hwmon/hwmon3/temp1_input": "55000",
			})
			g.link("../../../devices/0000:03:00.0", filepath.Join(g.sysfs, "class", "drm", "renderD128", "device"))
			g.write(filepath.Join(g.sysfs, "class", "drm", "card0-DP-1", "status"), "connected\n")
			g.fd("self", 5, "/dev/dri/renderD128", amdFDInfo)
		}, []provider.Accelerator{{
			Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](1024), MemTotalMB: provider.Some[uint64](16368),
			BusyPct: provider.Some(42.0), TempC: provider.Some(55.0), ProcessMemMB: provider.Some[uint64](256),
		}}},
		{"i915 integrated", func(g *gpuTree) {
			g.device("drm", "card1", "0000:00:02.0", "i915", nil)
			g.fd("self", 7, "/dev/dri/card1", i915FDInfo)
		}, []provider.Accelerator{{
			Name: "card1", Driver: "i915", Kind: provider.AccelGPU, Unified: true, ProcessMemMB: provider.Some[uint64](50),
		}}},
		{"xe discrete", func(g *gpuTree) {
			g.device("drm", "card0", "0000:03:00.0", "xe", map[string]string{"tile0/physical_vram_size_bytes": "17179869184"})
			g.fd("self", 3, "/dev/dri/renderD128", xeFDInfo)
		}, []provider.Accelerator{{
			Name: "card0", Driver: "xe", Kind: provider.AccelGPU, MemTotalMB: provider.Some[uint64](16384), ProcessMemMB: provider.Some[uint64](512),
		}}},
		{"msm", func(g *gpuTree) {
			g.device("drm", "card0", "5000000.gpu", "msm", nil)
			g.device("drm", "card1", "ae00000.display-subsystem", "msm_dpu", nil)
			g.fd("self", 9, "/dev/dri/renderD128", msmFDInfo)
		}, []provider.Accelerator{{
			Name: "card0", Driver: "msm", Kind: provider.AccelGPU, Unified: true, ProcessMemMB: provider.Some[uint64](32),
		}}},
		{"panfrost", func(g *gpuTree) {
			g.device("drm", "card0", "fde60000.gpu", "panfrost", nil)
			g.fd("self", 4, "/dev/dri/renderD128", panfrostFDInfo)
		}, []provider.Accelerator{{
			Name: "card0", Driver: "panfrost", Kind: provider.AccelGPU, Unified: true, ProcessMemMB: provider.Some[uint64](6),
		}}},
		{"intel NPU", func(g *gpuTree) {
			g.device("accel", "accel0", "0000:00:0b.0", "intel_vpu", map[string]string{
				"npu_busy_time_us": "123456", "npu_memory_utilization": "268435456",
			})
		}, []provider.Accelerator{{
			Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true,
			MemUsedMB: provider.Some[uint64](256), BusyTime: provider.Some(123456 * time.Microsecond), ProcessMemMB: provider.Some[uint64](0),
		}}},
		{"jetson devfreq", func(g *gpuTree) {
			g.device("devfreq", "17000000.ga10b", "17000000.ga10b", "gk20a", map[string]string{"load": "735"})
			g.device("devfreq", "cpufreq-like", "ddr", "tegra-emc", nil)
		}, []provider.Accelerator{{
			Name: "17000000.ga10b", Driver: "gk20a", Kind: provider.AccelGPU, Unified: true, BusyPct: provider.Some(73.5), ProcessMemMB: provider.Some[uint64](0),
		}}},
		{"adreno kgsl", func(g *gpuTree) {
			g.write(filepath.Join(g.sysfs, "class", "kgsl", "kgsl-3d0", "gpu_busy_percentage"), "37 %\n")
			g.write(filepath.Join(g.sysfs, "class", "kgsl", "kgsl-3d0", "temp"), "48200\n")
		}, []provider.Accelerator{{
			Name: "kgsl-3d0", Driver: "kgsl", Kind: provider.AccelGPU, Unified: true, BusyPct: provider.Some(37.0), TempC: provider.Some(48.2),
		}}},
		{"no accelerator", func(g *gpuTree) {
			g.device("drm", "card0", "0000:00:01.0", "simpledrm", nil)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGPUTree(t)
			tc.build(g)
			got, err := g.read()
			if err != nil {
				t.Errorf("error: %v", err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestAcceleratorsClients(t *testing.T) {
	g := newGPUTree(t)
	g.device("drm", "card0", "0000:03:00.0", "amdgpu", map[string]string{"mem_info_vram_total": "8589934592", "mem_info_vram_used": "0"})
	g.device("drm", "card1", "0000:04:00.0", "amdgpu", map[string]string{"mem_info_vram_total": "8589934592", "mem_info_vram_used": "0"})
	other := strings.ReplaceAll(strings.ReplaceAll(amdFDInfo, "0000:03:00.0", "0000:04:00.0"), "262144 KiB", "128 MiB")
	g.fd("self", 5, "/dev/dri/renderD128", amdFDInfo)
	g.fd("self", 6, "/dev/dri/renderD128", amdFDInfo) // the same client on a dup'ed fd
	g.fd("self", 7, "/dev/dri/renderD129", other)     // a second device
	g.fd("self", 8, "/dev/dri/renderD128", strings.ReplaceAll(amdFDInfo, "drm-client-id:\t14", "drm-client-id:\t15"))
	g.fd("self", 9, "/dev/null", amdFDInfo)                         // not a DRM node: not read
	g.fd("self", 10, "/dev/dri/renderD128", "pos:\t0\nflags:\t0\n") // a DRM node whose fdinfo is not a client's
	g.fd("self", 11, "/dev/dri/renderD128", "drm-driver:\tamdgpu\ndrm-client-id:\t16\ndrm-pdev:\t0000:03:00.0\n"+
		"drm-total-vram:\t-5 KiB\ndrm-resident-vram:\t12 GiB\ndrm-memory-vram:\t18446744073709551615 MiB\n") // hostile values: no usable region
	got, err := g.read()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ProcessMemMB != provider.Some[uint64](512) || got[1].ProcessMemMB != provider.Some[uint64](128) {
		t.Errorf("per-device process memory: %+v", got)
	}
	if tot := provider.SumAccelerators(got); tot.ProcessGPUMemMB != provider.Some[uint64](640) || tot.GPUMemTotalMB != provider.Some[uint64](16384) {
		t.Errorf("totals %+v", tot)
	}
}

func TestAcceleratorsNPUCounter(t *testing.T) {
	g := newGPUTree(t)
	g.device("accel", "accel0", "0000:00:0b.0", "intel_vpu", map[string]string{"npu_busy_time_us": "1000000"})
	p, clk := newTestProvider(t, g.procfs, g.sysfs)
	busy := func() provider.Opt[float64] {
		t.Helper()
		got, err := p.Accelerators(t.Context(), nil)
		if err != nil || len(got) != 1 {
			t.Fatalf("Accelerators = %+v, %v", got, err)
		}
		return got[0].BusyPct
	}
	if b := busy(); b.Valid {
		t.Errorf("first read: busy %+v, want unknown (no interval yet)", b)
	}
	clk.advance(2 * time.Second)
	g.write(filepath.Join(g.sysfs, "devices", "0000:00:0b.0", "npu_busy_time_us"), "1500000\n")
	if b := busy(); b != provider.Some(25.0) {
		t.Errorf("busy %+v, want 25%% (0.5 s of 2 s)", b)
	}
	clk.advance(time.Second)
	g.write(filepath.Join(g.sysfs, "devices", "0000:00:0b.0", "npu_busy_time_us"), "10\n") // driver reloaded
	if b := busy(); b.Valid {
		t.Errorf("counter went backwards: busy %+v, want unknown", b)
	}
	clk.advance(time.Second)
	g.write(filepath.Join(g.sysfs, "devices", "0000:00:0b.0", "npu_busy_time_us"), "1000010\n")
	if b := busy(); b != provider.Some(100.0) {
		t.Errorf("busy %+v, want 100%%", b)
	}
}

func TestAcceleratorsProcessGone(t *testing.T) {
	g := newGPUTree(t)
	g.device("drm", "card0", "0000:03:00.0", "amdgpu", map[string]string{"mem_info_vram_total": "8589934592"})
	p, _ := newTestProvider(t, g.procfs, g.sysfs)
	// The fd directory is gone (the process exited mid-walk): no error,
	// the process holds nothing.
	got, err := p.Accelerators(t.Context(), nil)
	if err != nil || len(got) != 1 || got[0].ProcessMemMB != provider.Some[uint64](0) {
		t.Errorf("no fd directory: %+v, %v", got, err)
	}
}

func TestAcceleratorsLiveNone(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.Accelerators(t.Context(), nil)
	if _, statErr := os.Stat("/sys/class/drm"); statErr != nil && len(got) != 0 {
		t.Errorf("no DRM class here, yet %+v (%v)", got, err)
	}
	tot := provider.SumAccelerators(got)
	if len(got) == 0 && (tot.GPUMemUsedMB.Valid || tot.GPUMemTotalMB.Valid || tot.GPUBusyPct.Valid || tot.ProcessGPUMemMB.Valid) {
		t.Errorf("no accelerator, yet totals %+v", tot)
	}
}

func TestParseFDInfo(t *testing.T) {
	var c drmClient
	parseFDInfo([]byte(i915FDInfo), &c)
	if !c.isDRM() || string(c.driver.bytes()) != "i915" || string(c.pdev.bytes()) != "0000:00:02.0" || c.id != 7 {
		t.Fatalf("identity: %+v", c)
	}
	if m, ok := c.memory(); !ok || m != 51200<<10 {
		t.Errorf("integrated memory = %d, %v; want system0's resident 51200 KiB", m, ok)
	}
	if c.nEngines != 3 || c.engines[0].ns != 25662044495 {
		t.Errorf("engines %+v", c.engines[:c.nEngines])
	}
	parseFDInfo([]byte(xeFDInfo), &c)
	if m, ok := c.memory(); !ok || m != 512<<20 {
		t.Errorf("xe memory = %d, %v; want vram0's resident 512 MiB", m, ok)
	}
	if e := c.engines[0]; !e.hasCyc || !e.hasTotl || e.cycles != 28257900 || e.total != 7655183225 {
		t.Errorf("xe cycles %+v", e)
	}
	parseFDInfo([]byte("drm-driver: amdgpu\ndrm-client-id: 1\ndrm-memory-vram: 100 KiB\n"), &c)
	if m, ok := c.memory(); !ok || m != 100<<10 {
		t.Errorf("legacy drm-memory: %d, %v", m, ok)
	}
	parseFDInfo([]byte("pos: 0\n"), &c)
	if c.isDRM() {
		t.Error("a plain fdinfo parsed as a DRM client")
	}
}

func FuzzParseFDInfo(f *testing.F) {
	for _, s := range []string{amdFDInfo, i915FDInfo, xeFDInfo, msmFDInfo, panfrostFDInfo, "drm-total-vram9: 1 MiB\n", "drm-:\n:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c drmClient
		parseFDInfo(b, &c)
		c.memory()
		if c.nRegions > maxDRMRegions || c.nEngines > maxDRMEngines {
			t.Fatalf("%d regions, %d engines", c.nRegions, c.nEngines)
		}
	})
}

// BenchmarkFDInfoWalk reads the DRM clients of a tree of N processes
// with 10 DRM descriptors each (and 10 other descriptors each), in steady
// state: the cost grows with the descriptors, the allocations stay 0.
func BenchmarkFDInfoWalk(b *testing.B) {
	for _, procs := range []int{10, 25, 50} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) { benchFDInfoWalk(b, procs) })
	}
}

func benchFDInfoWalk(b *testing.B, procs int) {
	root := b.TempDir()
	var r accelReader
	dirs := make([][]byte, procs)
	for i := range dirs {
		dir := filepath.Join(root, strconv.Itoa(1000+i))
		for fd := range 20 {
			node, info := "/dev/null", "pos:\t0\n"
			if fd%2 == 0 {
				node = "/dev/dri/renderD128"
				info = strings.ReplaceAll(amdFDInfo, "drm-client-id:\t14", "drm-client-id:\t"+strconv.Itoa(i*100+fd))
			}
			if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.Symlink(node, filepath.Join(dir, "fd", strconv.Itoa(fd))); err != nil {
				b.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "fdinfo"), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "fdinfo", strconv.Itoa(fd)), []byte(info), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		dirs[i] = make([]byte, 0, 256)
		dirs[i] = append(dirs[i], dir...)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.resetUse()
		for _, d := range dirs {
			if err := r.addProcess(append(r.path[:0], d...)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(procs*20), "ns/fd")
	if len(r.use) != 1 || r.use[0].bytes != uint64(procs)*10*(256<<20) {
		b.Fatalf("use %+v", r.use)
	}
}
