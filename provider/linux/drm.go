package linux

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/restel/restel/provider"
)

// accelReader reads the device's accelerators for [Provider.Accelerators]
// (docs/contract.md §9) and the device memory the observed process holds
// on them. It keeps what a busy share needs between reads (the previous
// cumulative busy counter of each device that has one) and the scratch
// buffers of the fdinfo walk, so a steady-state walk does not allocate.
type accelReader struct {
	mu sync.Mutex // one read at a time; guards everything below

	// fdinfo walk scratch.
	client drmClient
	seen   map[drmKey]struct{}
	use    []pdevUse
	fds    []int
	path   []byte
	link   []byte
	buf    []byte
	dbuf   []byte

	// pdevs[i] is the bus address of the i-th device of the current read.
	pdevs []drmName
	// bud bounds the read's file I/O under a root that is not the live
	// kernel (nil on the live roots: inline, into the buffers above).
	bud *budget
	// prev is each counter device's last busy reading.
	prev map[string]busyMark
}

// busyMark is a cumulative busy counter read at a time.
type busyMark struct {
	at   time.Time
	busy time.Duration
}

// drmKey identifies a DRM client across its file descriptors: the same
// client open on several fds (dup, fork) counts once.
type drmKey struct {
	pdev drmName
	id   uint64
}

// pdevUse is the device memory the walk found on one device.
type pdevUse struct {
	pdev  drmName
	bytes uint64
}

const (
	maxLinkBytes = 256
	// maxFDs bounds the descriptors examined per process; the kernel's
	// default hard limit is 4096 and few processes reach it.
	maxFDs = 1 << 16
)

// computeDrivers are the DRM drivers of devices that compute (GPUs); a
// display-only driver (simpledrm, virtio_gpu, bochs, ast...) is not an
// accelerator and is not listed unless it reports device memory.
var computeDrivers = map[string]bool{
	"amdgpu": true, "radeon": true, "i915": true, "xe": true, "nouveau": true,
	"nvidia": true, "nvidia-drm": true, "msm": true, "panfrost": true, "panthor": true,
	"v3d": true, "etnaviv": true, "lima": true, "asahi": true, "powervr": true,
}

// Accelerators implements provider.AcceleratorReader from sysfs and
// procfs (docs/contract.md §9):
//
//   - DRM cards, <sysfs>/class/drm/card<N> (render nodes and connectors
//     such as card0-DP-1 are not cards) of a compute driver: amdgpu's
//     device/mem_info_vram_used and mem_info_vram_total (bytes) and
//     device/gpu_busy_percent; xe's device/tile<N>/physical_vram_size_bytes
//     (total only: xe publishes no device-wide use); the temperature of
//     the card's first hwmon sensor. A card without device memory is
//     unified (integrated).
//   - Intel NPUs and other accel devices, <sysfs>/class/accel/accel<N>:
//     device/npu_busy_time_us, a cumulative busy counter (the busy share
//     is its growth over the time since the previous read), and
//     device/npu_memory_utilization (bytes). Unified.
//   - devfreq GPUs (Jetson and other SoCs), <sysfs>/class/devfreq/<dev>
//     whose device has a load attribute (busy share in per mille).
//   - Adreno, <sysfs>/class/kgsl/kgsl-3d0/gpu_busy_percentage, where the
//     app may read it.
//   - The process's device memory: the DRM clients of its open file
//     descriptors, from <procfs>/<pid>/fdinfo/<fd> (drm-driver, drm-pdev,
//     drm-client-id, drm-resident/total/memory-<region>), each client
//     counted once, attributed to the card on the same bus address.
func (p *Provider) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return p.accelerators(ctx, dst, nil)
}

// accelerators reads the devices and the device memory the processes
// pids hold on them (the observed process when pids is empty).
func (p *Provider) accelerators(ctx context.Context, dst []provider.Accelerator, pids []int) ([]provider.Accelerator, error) {
	if p.closed.Load() {
		return dst, provider.ErrClosed
	}
	r := &p.accel
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bud = p.readBudget(ctx)
	defer func() { r.bud = nil }()
	now := p.clock.Now()
	base := len(dst)
	r.pdevs = r.pdevs[:0]
	var errs []error
	dst = r.drmCards(p, dst, &errs)
	dst = r.accelDevices(p, dst, now, &errs)
	dst = r.devfreqGPUs(p, dst, &errs)
	dst = r.kgsl(p, dst)
	if len(dst) == base {
		return dst, joinErrs(errs)
	}
	r.resetUse()
	if len(pids) == 0 {
		pidDir := filepath.Join(p.procfs, pidDirName(p.procfs, p.pid))
		if err := r.addProcess(append(r.path[:0], pidDir...)); err != nil {
			errs = append(errs, err)
		}
	}
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return dst, err
		}
		if err := r.addProcess(strconv.AppendInt(append(append(r.path[:0], p.procfs...), '/'), int64(pid), 10)); err != nil {
			errs = append(errs, err)
		}
	}
	r.attribute(dst[base:])
	return dst, joinErrs(errs)
}

// drmCards appends the DRM cards of compute drivers.
func (r *accelReader) drmCards(p *Provider, dst []provider.Accelerator, errs *[]error) []provider.Accelerator {
	dir := filepath.Join(p.sysfs, "class", "drm")
	names, err := r.listDir(dir)
	if err != nil {
		*errs = append(*errs, err)
	}
	for _, name := range names {
		if !isCardName(name) {
			continue
		}
		dev := filepath.Join(dir, name, "device")
		a := provider.Accelerator{Name: name, Driver: r.linkBase(filepath.Join(dev, "driver")), Kind: provider.AccelGPU}
		if total, ok := r.attrUint(p, filepath.Join(dev, "mem_info_vram_total")); ok {
			a.MemTotalMB = provider.Some(total >> 20)
			if used, ok := r.attrUint(p, filepath.Join(dev, "mem_info_vram_used")); ok {
				a.MemUsedMB = provider.Some(used >> 20)
			}
		} else if total, ok := r.xeVRAM(p, dev); ok {
			a.MemTotalMB = provider.Some(total >> 20)
		}
		if busy, ok := r.attrUint(p, filepath.Join(dev, "gpu_busy_percent")); ok && busy <= 100 {
			a.BusyPct = provider.Some(float64(busy))
		}
		if !a.MemTotalMB.Valid && !a.BusyPct.Valid && !computeDrivers[a.Driver] {
			continue // a display controller, not an accelerator
		}
		a.Unified = !a.MemTotalMB.Valid
		a.TempC = r.hwmonTemp(p, filepath.Join(dev, "hwmon"))
		dst = append(dst, a)
		r.addPdev(filepath.Join(dir, name, "device"))
	}
	return dst
}

// accelDevices appends the compute accelerators of the accel class
// (Intel NPU, AMD XDNA, ...).
func (r *accelReader) accelDevices(p *Provider, dst []provider.Accelerator, now time.Time, errs *[]error) []provider.Accelerator {
	dir := filepath.Join(p.sysfs, "class", "accel")
	names, err := r.listDir(dir)
	if err != nil {
		*errs = append(*errs, err)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "accel") || !allDigits(name[len("accel"):]) {
			continue
		}
		dev := filepath.Join(dir, name, "device")
		a := provider.Accelerator{Name: name, Driver: r.linkBase(filepath.Join(dev, "driver")), Kind: provider.AccelNPU, Unified: true}
		if us, ok := r.attrUint(p, filepath.Join(dev, "npu_busy_time_us")); ok && us <= uint64(1<<63-1)/uint64(time.Microsecond) {
			busy := time.Duration(us) * time.Microsecond
			a.BusyTime = provider.Some(busy)
			if prev, ok := r.prev[name]; ok {
				if pct, ok := busyShare(prev, busyMark{now, busy}); ok {
					a.BusyPct = provider.Some(pct)
				}
			}
			if r.prev == nil {
				r.prev = map[string]busyMark{}
			}
			r.prev[name] = busyMark{now, busy}
		}
		if used, ok := r.attrUint(p, filepath.Join(dev, "npu_memory_utilization")); ok {
			a.MemUsedMB = provider.Some(used >> 20)
		}
		dst = append(dst, a)
		r.addPdev(dev)
	}
	return dst
}

// busyShare is the busy percentage between two readings of a cumulative
// busy counter; not ok when no time passed or the counter went backwards
// (a driver reload).
func busyShare(prev, cur busyMark) (float64, bool) {
	wall := cur.at.Sub(prev.at)
	if wall <= 0 || cur.busy < prev.busy {
		return 0, false
	}
	return min(100, 100*float64(cur.busy-prev.busy)/float64(wall)), true
}

// devfreqGPUs appends the devfreq devices whose device directory has a
// load attribute (Jetson: busy share in per mille).
func (r *accelReader) devfreqGPUs(p *Provider, dst []provider.Accelerator, errs *[]error) []provider.Accelerator {
	dir := filepath.Join(p.sysfs, "class", "devfreq")
	names, err := r.listDir(dir)
	if err != nil {
		*errs = append(*errs, err)
	}
	for _, name := range names {
		dev := filepath.Join(dir, name, "device")
		load, ok := r.attrUint(p, filepath.Join(dev, "load"))
		if !ok || load > 1000 {
			continue
		}
		dst = append(dst, provider.Accelerator{
			Name: name, Driver: r.linkBase(filepath.Join(dev, "driver")), Kind: provider.AccelGPU, Unified: true,
			BusyPct: provider.Some(float64(load) / 10),
		})
		r.addPdev(dev)
	}
	return dst
}

// kgsl appends Adreno's kgsl-3d0 when its busy share is readable.
func (r *accelReader) kgsl(p *Provider, dst []provider.Accelerator) []provider.Accelerator {
	dev := filepath.Join(p.sysfs, "class", "kgsl", "kgsl-3d0")
	b, err := p.readAttrIn(r.bud, filepath.Join(dev, "gpu_busy_percentage"))
	if err != nil {
		return dst
	}
	num, _ := field(trimAttr(b)) // "37 %"
	v, ok := decimal(num)
	if !ok || v > 100 {
		return dst
	}
	a := provider.Accelerator{Name: "kgsl-3d0", Driver: "kgsl", Kind: provider.AccelGPU, Unified: true, BusyPct: provider.Some(float64(v))}
	if b, err := p.readAttrIn(r.bud, filepath.Join(dev, "temp")); err == nil {
		if milli, ok := parseAttrInt(b); ok && saneReading(milli) {
			a.TempC = provider.Some(float64(milli) / 1000)
		}
	}
	dst = append(dst, a)
	r.pdevs = append(r.pdevs, drmName{})
	return dst
}

// addPdev records the bus address of the device just appended: the last
// element of the link at devLink ("../../../0000:03:00.0").
func (r *accelReader) addPdev(devLink string) {
	var d drmName
	if r.link == nil {
		r.link = make([]byte, maxLinkBytes)
	}
	if n, err := readLink([]byte(devLink + "\x00")[:len(devLink)], r.link); err == nil && n < len(r.link) {
		d.set(lastElem(r.link[:n]))
	}
	r.pdevs = append(r.pdevs, d)
}

// linkBase is the last element of the link at path (a device's driver
// link names the driver), or "" when it cannot be read.
func (r *accelReader) linkBase(path string) string {
	if r.link == nil {
		r.link = make([]byte, maxLinkBytes)
	}
	n, err := readLink([]byte(path + "\x00")[:len(path)], r.link)
	if err != nil || n >= len(r.link) {
		return ""
	}
	return string(lastElem(r.link[:n]))
}

// attribute sets each device's process memory from the walk's use; a
// device whose bus address is unknown (kgsl) keeps it unknown.
func (r *accelReader) attribute(devs []provider.Accelerator) {
	for i := range devs {
		pd := &r.pdevs[i]
		if pd.n == 0 {
			continue
		}
		var sum uint64
		for _, u := range r.use {
			if u.pdev.equal(pd.bytes()) {
				sum = satAdd(sum, u.bytes)
			}
		}
		devs[i].ProcessMemMB = provider.Some(sum >> 20)
	}
}

// resetUse starts a walk.
func (r *accelReader) resetUse() {
	if r.seen == nil {
		r.seen = map[drmKey]struct{}{}
	}
	clear(r.seen)
	r.use = r.use[:0]
}

// addProcess adds the DRM clients open in the process whose procfs
// directory is pidDir (a path in r.path's storage) to the walk: each fd
// whose link names a DRM or accel device node has its fdinfo read and
// parsed; a client already seen (same bus address and client id, on
// another fd or in another process of the tree) is not counted again. A
// process that exits mid-walk contributes what was read; only an fd
// directory that cannot be listed for another reason is an error.
func (r *accelReader) addProcess(pidDir []byte) error {
	if r.dbuf == nil {
		r.dbuf = make([]byte, 8192)
		r.buf = make([]byte, 4096)
		r.link = make([]byte, maxLinkBytes)
	}
	base := len(pidDir)
	r.path = append(pidDir, "/fd"...)
	var err error
	r.fds, err = r.listFDs()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			return nil // the process is gone
		}
		return &fs.PathError{Op: "list", Path: string(r.path), Err: err}
	}
	for _, fd := range r.fds {
		r.path = strconv.AppendInt(append(r.path[:base], "/fd/"...), int64(fd), 10)
		n, err := r.readLink(r.path)
		if err != nil || n >= len(r.link) || !isDRMNode(r.link[:n]) {
			continue
		}
		r.path = strconv.AppendInt(append(r.path[:base], "/fdinfo/"...), int64(fd), 10)
		m, err := r.readFile(r.path)
		if err != nil {
			continue // closed since the listing
		}
		parseFDInfo(r.buf[:m], &r.client)
		c := &r.client
		if !c.isDRM() {
			continue
		}
		k := drmKey{pdev: c.pdev, id: c.id}
		if _, dup := r.seen[k]; dup {
			continue
		}
		r.seen[k] = struct{}{}
		mem, ok := c.memory()
		if !ok {
			continue
		}
		i := 0
		for i < len(r.use) && !r.use[i].pdev.equal(c.pdev.bytes()) {
			i++
		}
		if i == len(r.use) {
			r.use = append(r.use, pdevUse{pdev: c.pdev})
		}
		r.use[i].bytes = satAdd(r.use[i].bytes, mem)
	}
	return nil
}

// fdNumber parses a descriptor number: a decimal below 2^31 (0 is one).
func fdNumber(b []byte) (int, bool) {
	v, ok := decimal(b)
	if !ok || v >= 1<<31 {
		return 0, false
	}
	return int(v), true
}

// isDRMNode reports whether a descriptor's link target is a DRM or
// compute-accelerator device node.
func isDRMNode(target []byte) bool {
	return hasPrefix(target, "/dev/dri/") || hasPrefix(target, "/dev/accel/")
}

// isCardName reports whether a DRM class entry is a card ("card0"), not a
// render node ("renderD128") or a connector ("card0-DP-1").
func isCardName(name string) bool {
	return strings.HasPrefix(name, "card") && allDigits(name[len("card"):])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// lastElem is the last slash-separated element of b.
func lastElem(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return b[i+1:]
		}
	}
	return b
}

// attrUint reads a sysfs attribute holding a non-negative integer.
func (r *accelReader) attrUint(p *Provider, path string) (uint64, bool) {
	b, err := p.readAttrIn(r.bud, path)
	if err != nil {
		return 0, false
	}
	v, ok := parseAttrInt(b)
	if !ok || v < 0 {
		return 0, false
	}
	return uint64(v), true
}

// xeVRAM sums the device memory of an xe card's tiles
// (device/tile<N>/physical_vram_size_bytes).
func (r *accelReader) xeVRAM(p *Provider, dev string) (uint64, bool) {
	tiles, _ := r.listDir(dev)
	var sum uint64
	var ok bool
	for _, t := range tiles {
		if !strings.HasPrefix(t, "tile") || !allDigits(t[len("tile"):]) {
			continue
		}
		if v, good := r.attrUint(p, filepath.Join(dev, t, "physical_vram_size_bytes")); good && v > 0 {
			sum, ok = satAdd(sum, v), true
		}
	}
	return sum, ok
}

// hwmonTemp reads the first usable temp*_input under a device's hwmon
// directory (amdgpu: the edge sensor).
func (r *accelReader) hwmonTemp(p *Provider, hwmonDir string) provider.Opt[float64] {
	devs, _ := r.listDir(hwmonDir)
	for _, d := range devs {
		b, err := p.readAttrIn(r.bud, filepath.Join(hwmonDir, d, "temp1_input"))
		if err != nil {
			continue
		}
		if milli, ok := parseAttrInt(b); ok && saneReading(milli) {
			return provider.Some(float64(milli) / 1000)
		}
	}
	return provider.Opt[float64]{}
}

// The accel reader's file I/O: inline into its reused buffers on the live
// roots; under another root, each operation within r.bud on buffers of
// its own (an abandoned one keeps them), copied into the reader's when it
// returns in time.

func (r *accelReader) listDir(dir string) ([]string, error) {
	if r.bud == nil {
		return listDir(dir)
	}
	return r.bud.list(dir)
}

// readLink reads the link at path into r.link.
func (r *accelReader) readLink(path []byte) (int, error) {
	if r.link == nil {
		r.link = make([]byte, maxLinkBytes)
	}
	if r.bud == nil {
		return readLink(path, r.link)
	}
	name := string(path)
	b, err := guarded(r.bud, "readlink", name, func() ([]byte, error) {
		buf := make([]byte, maxLinkBytes)
		n, err := readLink([]byte(name), buf)
		return buf[:n], err
	})
	return copy(r.link, b), err
}

// readFile reads the file at path into r.buf.
func (r *accelReader) readFile(path []byte) (int, error) {
	if r.bud == nil {
		return readTreeFile(path, r.buf)
	}
	name, size := string(path), len(r.buf)
	b, err := guarded(r.bud, "read", name, func() ([]byte, error) {
		buf := make([]byte, size)
		n, err := readTreeFile([]byte(name), buf)
		return buf[:n], err
	})
	return copy(r.buf, b), err
}

// listFDs lists the descriptors of the fd directory at r.path into r.fds.
func (r *accelReader) listFDs() ([]int, error) {
	if r.bud == nil {
		return listFDs(r.path, r.dbuf, r.fds[:0], maxFDs)
	}
	name := string(r.path)
	fds, err := guarded(r.bud, "open", name, func() ([]int, error) {
		return listFDs([]byte(name), make([]byte, 8192), nil, maxFDs)
	})
	return append(r.fds[:0], fds...), err
}
