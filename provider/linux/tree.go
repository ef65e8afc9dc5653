package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/restel/restel/provider"
)

// Tree observes a process and all its descendants, as `restel run` needs
// for the command it wraps (a shell script, a launcher, a worker pool):
// the process fields of its snapshots are the whole tree's, the device
// fields (CPU, memory, pressure, thermal state, battery) a [Provider]'s.
//
//   - RSS (Snapshot and RunSnapshot): the sum of the resident sets of the
//     root and every descendant alive at the read: VmRSS of
//     /proc/<pid>/status for the processes whose status this read opens
//     (all of them in a tree of up to maxStatusReads, in turns in a larger
//     one), the same count from the rss field of /proc/<pid>/stat for the
//     others. Pages shared between the processes (a forked worker's
//     copy-on-write memory) count once per process, as in the sum ps or
//     top would give.
//   - Counters.ProcessCPU (RunSnapshot): the user+system time of every
//     process of the tree alive at the read (a zombie not yet reaped
//     included) plus, for each of them, the cumulative time of the
//     children it has reaped (cutime+cstime of /proc/<pid>/stat). A
//     descendant's time thus counts once: as its own while it lives, then
//     in its parent's cumulative time once reaped. A descendant whose
//     parent exits without reaping it is re-parented out of the tree (to
//     init or a subreaper) and its time with it; the counter then keeps
//     the last, higher value rather than go backwards, so it is exact for
//     trees whose processes reap their children and a lower bound
//     otherwise. Read in USER_HZ ticks (10 ms).
//   - Counters.RSSHighWaterMB (RunSnapshot): the highest VmHWM of any
//     single process of the tree seen by any read so far, Snapshot's and
//     Watch's included, or the highest summed RSS of a read if higher. The kernel keeps it per process; a process that grew and
//     shrank between two reads is still seen at its peak, as long as it is
//     alive at one read. The root's own peak once it has exited is only in
//     its rusage (ru_maxrss, which covers the children it reaped too): the
//     caller that reaps it has that, and no read of /proc does.
//
// The tree is walked from the root through /proc/<pid>/task/<tid>/children
// (every thread's children, as a multithreaded process's forks are listed
// under the thread that made them), so a read costs a few system calls per
// process of the tree, whatever else runs on the machine. A kernel without
// those files (CONFIG_PROC_CHILDREN off) is walked by reading the parent
// pid of every process under the procfs root instead, which costs as many
// reads as the machine has processes. Every file is opened non-blocking
// and read into a bounded buffer; a walk stops at maxTreeProcs processes.
//
// Tree is safe for concurrent use. Create it with [NewTree]; release its
// files with [Tree.Close].
type Tree struct {
	dev    *Provider
	procfs string
	root   int

	mu   sync.Mutex // guards everything below
	scan bool       // walk by scanning the procfs root
	w    treeWalk

	hwm   uint64 // KiB: the highest VmHWM seen, or summed RSS read
	hwmOK bool
	cpu   time.Duration // the last ProcessCPU reported
	cpuOK bool
	hz    uint64 // the unit of the stat ticks: USER_HZ (userHZ)

	pageKiB uint64 // the page size in KiB, the unit of stat's rss
	cursor  int    // where the next read's status reads start in the tree

	// reaper is the calling process's pid once Adopt made the tree
	// include (and reap) its adopted orphans; 0 before.
	reaper int
	reaped time.Duration // CPU time of the orphans reaped so far
}

// Compile-time checks of the capabilities a Tree offers.
var (
	_ provider.SnapshotProvider = (*Tree)(nil)
	_ provider.RunReader        = (*Tree)(nil)
	_ provider.ThermalReader    = (*Tree)(nil)
	_ provider.BatteryReader    = (*Tree)(nil)
)

const (
	// maxTreeProcs bounds the processes one read walks, maxTreeTasks the
	// threads listed per process.
	maxTreeProcs = 1 << 15
	maxTreeTasks = 1 << 15
	// treeBuf is the initial file buffer (a status file is about 1.5 KiB);
	// a children list that fills it grows it, up to maxReadBytes.
	treeBuf = 4 << 10
	// maxStatusReads bounds the status files (the costly ones, for VmHWM)
	// one read opens: a larger tree has them read in turns.
	maxStatusReads = 256
)

// treeWalk is the scratch state of one read, reused across reads.
type treeWalk struct {
	path  []byte
	buf   []byte
	dbuf  []byte
	pids  []int       // the tree, root first
	stats []statTimes // the stat of each of pids
	got   []statGot   // how that stat was read
	// adopted indexes the pids that are the reaper's adopted orphans.
	adopted []int
	stack   []int // pids to visit; an adopted orphan's negated
	tids    []int
	all     []int     // scan: every pid under the procfs root
	pairs   []scanned // scan: every process with a well-formed stat
	errs    []error
}

// treeRead is what one read of the tree found.
type treeRead struct {
	rss    uint64 // KiB, summed
	rssOK  bool
	ticks  uint64
	cpuOK  bool
	reaped time.Duration // the reaped orphans' CPU time before this read
}

// NewTree returns a Tree observing the process root and its descendants.
// The options are [New]'s (the procfs and sysfs roots, the clock); the
// device fields come from a [Provider] observing root (its cgroup bounds
// the memory). It fails as New does when a root or root's procfs
// directory is missing.
func NewTree(root int, opts ...Option) (*Tree, error) {
	if root <= 0 {
		return nil, fmt.Errorf("linux: %w: tree root pid %d is not positive", provider.ErrInvalid, root)
	}
	dev, err := New(append(opts[:len(opts):len(opts)], WithPID(root))...)
	if err != nil {
		return nil, err
	}
	t := &Tree{dev: dev, procfs: dev.procfs, root: root, hz: userHZ(), pageKiB: uint64(max(os.Getpagesize()>>10, 1))}
	t.w.path = make([]byte, 0, len(t.procfs)+64)
	t.w.buf = make([]byte, treeBuf)
	t.w.dbuf = make([]byte, 8<<10)
	t.w.errs = make([]error, 0, 4)
	rs := strconv.Itoa(root)
	_, err = os.Stat(filepath.Join(t.procfs, rs, "task", rs, "children"))
	t.scan = errors.Is(err, fs.ErrNotExist)
	return t, nil
}

// Snapshot reads the device's fast signals and the tree's summed RSS (see
// [Tree]). The first Snapshot has no CPU value, as [Provider.Snapshot].
func (t *Tree) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	s, err := t.dev.Snapshot(ctx)
	return t.addTree(ctx, s, err, false)
}

// RunSnapshot is Snapshot plus the tree's counters: Counters.ProcessCPU
// and Counters.RSSHighWaterMB (see [Tree]), and whatever run counters the
// device's Provider has.
func (t *Tree) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	s, err := t.dev.RunSnapshot(ctx)
	return t.addTree(ctx, s, err, true)
}

// addTree adds the tree's reading to s, the device's snapshot read with
// error err: the summed RSS, and with run the tree's counters.
func (t *Tree) addTree(ctx context.Context, s provider.Snapshot, err error, run bool) (provider.Snapshot, error) {
	if ctx.Err() != nil || t.dev.closed.Load() {
		return s, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, terr := t.read(run)
	s.ProcessRSSMB = kibToMiB(r.rss, r.rssOK)
	if !run {
		return s, joinErr(err, terr)
	}
	s.Counters.ProcessCPU = provider.Opt[time.Duration]{}
	if r.cpuOK {
		if c := ticksDuration(r.ticks, t.hz); c.Valid {
			if c.V += r.reaped; !t.cpuOK || c.V > t.cpu {
				t.cpu, t.cpuOK = c.V, true
			}
		}
		if t.cpuOK {
			s.Counters.ProcessCPU = provider.Some(t.cpu)
		}
	}
	s.Counters.RSSHighWaterMB = kibToMiB(t.hwm, t.hwmOK)
	return s, joinErr(err, terr)
}

// Thermal reads the device's thermal state ([Provider.Thermal]).
func (t *Tree) Thermal(ctx context.Context) (provider.ThermalState, error) {
	return t.dev.Thermal(ctx)
}

// Battery reads the device's battery charge ([Provider.Battery]).
func (t *Tree) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	return t.dev.Battery(ctx)
}

// Close releases the device Provider's files. It is safe to call more
// than once; later reads fail with provider.ErrClosed.
func (t *Tree) Close() error { return t.dev.Close() }

func kibToMiB(kib uint64, ok bool) provider.Opt[uint64] {
	if !ok || kib > ^uint64(0)>>10 {
		return provider.Opt[uint64]{}
	}
	return provider.MiB(kib << 10)
}

func joinErr(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return errors.Join(a, b)
}

// read walks the tree, reading each process's stat (its CPU time, and
// its RSS) and, for up to maxStatusReads processes in turn, its status
// (its VmHWM, and VmRSS). A process that exits during the walk is
// skipped. The summed RSS raises the tree's high-water mark, and adopted
// orphans that have exited are reaped (see Adopt). t.mu is held.
func (t *Tree) read(cpu bool) (r treeRead, err error) {
	w := &t.w
	w.errs = w.errs[:0]
	if t.scan {
		t.walkScan()
	} else {
		t.walkChildren()
	}
	n := len(w.pids)
	budget := min(n, maxStatusReads)
	first := 0
	if n > 0 {
		first = t.cursor % n
		t.cursor = first + budget
	}
	malformed, stats := false, 0
	for i, pid := range w.pids {
		st, good := w.stats[i], w.got[i] == statOK
		if (i-first+n)%n < budget {
			b, ok := t.readProc(pid, "status")
			if !ok {
				continue
			}
			m, mgood := procPIDStatus(b)
			if !mgood {
				w.errs = append(w.errs, t.invalid(pid, "status"))
				continue
			}
			if m.rssOK {
				r.rss, r.rssOK = satAdd(r.rss, m.rss), true
			}
			if m.hwmOK && (!t.hwmOK || m.hwm > t.hwm) {
				t.hwm, t.hwmOK = m.hwm, true
			}
		} else if good && st.rssOK && !st.zombie() {
			r.rss, r.rssOK = satAdd(r.rss, st.rssPages*t.pageKiB), true
		}
		if !good {
			malformed = malformed || w.got[i] == statBad
			continue
		}
		r.ticks = satAdd(r.ticks, st.total())
		stats++
	}
	// The tree's summed resident set is a floor of its peak.
	if r.rssOK && (!t.hwmOK || r.rss > t.hwm) {
		t.hwm, t.hwmOK = r.rss, true
	}
	// A malformed stat would make the sum too low: no value beats a wrong
	// one.
	r.cpuOK = cpu && stats > 0 && !malformed
	r.reaped = t.reaped
	t.reapAdopted()
	return r, joinErrs(w.errs)
}

// statGot is how a tree process's stat was read.
type statGot uint8

const (
	statOK     statGot = iota // read and well-formed
	statFailed                // not read (an error noted)
	statBad                   // malformed (an error noted)
)

// visit reads the stat of pid, which the walk reached, and appends pid to
// the tree unless it has gone; a stat that cannot be read or is malformed
// is noted, and the process kept. It reports whether pid was appended.
func (t *Tree) visit(pid int, adopted bool) (statTimes, bool) {
	w := &t.w
	noted := len(w.errs)
	b, ok := t.readProc(pid, "stat")
	var st statTimes
	got := statOK
	switch {
	case !ok && len(w.errs) == noted:
		return st, false // gone
	case !ok:
		got = statFailed
	default:
		var good bool
		if st, good = procPIDStat(b); !good {
			w.errs = append(w.errs, t.invalid(pid, "stat"))
			got = statBad
		}
	}
	if adopted {
		w.adopted = append(w.adopted, len(w.pids))
	}
	w.pids = append(w.pids, pid)
	w.stats = append(w.stats, st)
	w.got = append(w.got, got)
	return st, true
}

// readProc reads <procfs>/<pid>/<name>. ok is false when it could not be
// read: a vanished process silently, anything else with an error noted.
func (t *Tree) readProc(pid int, name string) ([]byte, bool) {
	w := &t.w
	w.setPath(t.procfs, pid, name, 0, "")
	n, err := readTreeFile(w.path, w.buf)
	if err != nil {
		w.noteReadErr(err)
		return nil, false
	}
	return w.buf[:n], true
}

func (t *Tree) invalid(pid int, name string) error {
	return fmt.Errorf("linux: %w: %s: malformed content", provider.ErrInvalid, filepath.Join(t.procfs, strconv.Itoa(pid), name))
}

// noteReadErr notes err, a failed read of w.path, unless it means the
// process has gone.
func (w *treeWalk) noteReadErr(err error) {
	if !gone(err) {
		w.errs = append(w.errs, &fs.PathError{Op: "read", Path: string(w.path), Err: err})
	}
}

// gone reports whether err means the process (or thread) no longer exists.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// setPath sets w.path to <procfs>/<pid>/<name>, or, with tid > 0,
// <procfs>/<pid>/<name>/<tid>/<leaf>. It does not allocate once w.path has
// grown to fit.
func (w *treeWalk) setPath(procfs string, pid int, name string, tid int, leaf string) {
	p := append(w.path[:0], procfs...)
	p = append(p, '/')
	p = strconv.AppendInt(p, int64(pid), 10)
	if name != "" {
		p = append(p, '/')
		p = append(p, name...)
	}
	if tid > 0 {
		p = append(p, '/')
		p = strconv.AppendInt(p, int64(tid), 10)
		p = append(p, '/')
		p = append(p, leaf...)
	}
	if cap(p) == len(p) {
		p = append(p, 0)[:len(p)] // room for the NUL the open adds
	}
	w.path = p
}

// walkChildren collects the tree into w.pids through the children files:
// the root, and with Adopt the reaper's adopted orphans, and their
// descendants. A single-threaded process's (stat's num_threads) one
// children file is read without listing its task directory.
func (t *Tree) walkChildren() {
	w := &t.w
	w.pids, w.stats, w.got, w.adopted = w.pids[:0], w.stats[:0], w.got[:0], w.adopted[:0]
	w.stack = w.stack[:0]
	if t.reaper > 0 {
		t.pushChildren(t.reaper, false)
		for i, pid := range w.stack {
			if pid == t.root {
				pid = 0
			}
			w.stack[i] = -pid // adopted; 0 is dropped below
		}
	}
	w.stack = append(w.stack, t.root)
	for len(w.stack) > 0 && len(w.pids) < maxTreeProcs {
		pid := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		if pid == 0 {
			continue
		}
		adopted := pid < 0
		if adopted {
			pid = -pid
		}
		st, ok := t.visit(pid, adopted)
		if !ok {
			continue
		}
		t.pushChildren(pid, st.threadsOK && st.threads == 1)
	}
}

// pushChildren pushes the children of every thread of pid onto w.stack;
// single reads only the main thread's list.
func (t *Tree) pushChildren(pid int, single bool) {
	w := &t.w
	if single {
		t.readChildren(pid, pid)
		return
	}
	w.setPath(t.procfs, pid, "task", 0, "")
	var err error
	w.tids, err = listTreeDir(w.path, w.dbuf, w.tids[:0], maxTreeTasks)
	if err != nil {
		w.noteReadErr(err)
		return
	}
	for _, tid := range w.tids {
		t.readChildren(pid, tid)
	}
}

// readChildren pushes the children of thread tid of pid onto w.stack,
// growing the buffer (up to maxReadBytes) for a list that fills it.
func (t *Tree) readChildren(pid, tid int) {
	w := &t.w
	w.setPath(t.procfs, pid, "task", tid, "children")
	for {
		n, err := readTreeFile(w.path, w.buf)
		if err != nil {
			w.noteReadErr(err)
			return
		}
		if n == len(w.buf) && len(w.buf) < maxReadBytes {
			w.buf = make([]byte, 2*len(w.buf))
			continue
		}
		var ok bool
		if w.stack, ok = appendChildren(w.stack, w.buf[:n]); !ok || n == len(w.buf) {
			w.errs = append(w.errs, fmt.Errorf("linux: %w: %s: malformed or oversized content", provider.ErrInvalid, string(w.path)))
		}
		// No walk visits more than maxTreeProcs processes, so no more
		// need to wait on the stack.
		if len(w.stack) > maxTreeProcs {
			w.stack = w.stack[:maxTreeProcs]
		}
		return
	}
}

// walkScan collects the tree into w.pids from the parent pid of every
// process under the procfs root (the fallback without children files):
// the root, and with Adopt the reaper's adopted orphans, and their
// descendants.
func (t *Tree) walkScan() {
	w := &t.w
	w.pids, w.stats, w.got, w.adopted = w.pids[:0], w.stats[:0], w.got[:0], w.adopted[:0]
	w.path = append(append(w.path[:0], t.procfs...), 0)[:len(t.procfs)]
	var err error
	w.all, err = listTreeDir(w.path, w.dbuf, w.all[:0], maxPID)
	if err != nil {
		w.errs = append(w.errs, &fs.PathError{Op: "read", Path: t.procfs, Err: err})
		return
	}
	w.pairs = w.pairs[:0]
	root := -1
	for _, pid := range w.all {
		b, ok := t.readProc(pid, "stat")
		if !ok {
			continue
		}
		st, good := procPIDStat(b)
		if !good {
			continue // not ours to judge: only the tree's processes matter
		}
		if pid == t.root {
			root = len(w.pairs)
		}
		w.pairs = append(w.pairs, scanned{pid, st})
	}
	if t.reaper > 0 {
		for _, p := range w.pairs {
			if p.st.ppid == t.reaper && p.pid != t.root {
				w.adopted = append(w.adopted, len(w.pids))
				w.pids, w.stats, w.got = append(w.pids, p.pid), append(w.stats, p.st), append(w.got, statOK)
			}
		}
	}
	if root >= 0 {
		w.pids, w.stats, w.got = append(w.pids, t.root), append(w.stats, w.pairs[root].st), append(w.got, statOK)
	}
	for i := 0; i < len(w.pids) && len(w.pids) < maxTreeProcs; i++ {
		for _, p := range w.pairs {
			if p.st.ppid == w.pids[i] && p.pid != t.root {
				w.pids, w.stats, w.got = append(w.pids, p.pid), append(w.stats, p.st), append(w.got, statOK)
			}
		}
	}
}

// scanned is a process the scan found and its stat.
type scanned struct {
	pid int
	st  statTimes
}

// Adopt makes the tree include the processes the calling process has
// adopted as a child subreaper (prctl PR_SET_CHILD_SUBREAPER on Linux,
// which the caller sets before it starts root): a descendant of root that
// detaches (a double fork, setsid, nohup … &) is re-parented to the
// caller when its parent exits, and stays in the tree with its
// descendants. Every read then reaps the adopted orphans that have
// exited (never root, whose parent waits for it), so none stays a zombie
// past the next read, and adds their CPU time (their rusage: theirs and
// that of the children they reaped) to Counters.ProcessCPU and their
// ru_maxrss to Counters.RSSHighWaterMB. It needs the live /proc (the
// default procfs root): a fixture root has no processes to reap.
func (t *Tree) Adopt() error {
	if t.procfs != defaultProcFS {
		return fmt.Errorf("linux: %w: adopting orphans needs the live %s, not %s", provider.ErrInvalid, defaultProcFS, t.procfs)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reaper = os.Getpid()
	return nil
}

// reapAdopted reaps the adopted orphans the last walk saw as zombies,
// adding their CPU time and peak to the tree's. t.mu is held.
func (t *Tree) reapAdopted() {
	if t.reaper <= 0 {
		return
	}
	w := &t.w
	for _, i := range w.adopted {
		if !w.stats[i].zombie() {
			continue
		}
		cpu, maxKiB, ok := reapChild(w.pids[i])
		if !ok {
			continue
		}
		t.reaped += cpu
		if !t.hwmOK || maxKiB > t.hwm {
			t.hwm, t.hwmOK = maxKiB, true
		}
	}
}

// Watch reads the tree in the background until stop is called, so that
// its high-water mark (Counters.RSSHighWaterMB) holds the largest summed
// resident set seen between a run's start and end reads: the peak of a
// tree whose processes overlap, which no single process's VmHWM shows,
// without sampling (boundary mode takes two snapshots only; these reads
// are not samples). It reads every interval, or ten times the last read's
// duration if that is longer, so it uses at most a tenth of a CPU
// whatever the tree's size. stop ends the goroutine and returns once it
// has exited; it is safe to call more than once. Close does not stop a
// watch: its reads then do nothing until stop.
func (t *Tree) Watch(interval time.Duration) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		timer := time.NewTimer(interval)
		defer timer.Stop()
		for {
			select {
			case <-done:
				return
			case <-timer.C:
			}
			start := time.Now()
			t.watchRead()
			timer.Reset(max(interval, 10*time.Since(start)))
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-exited
	}
}

// watchRead is one read of Watch: the tree's walk, summed RSS and reaping,
// without the device's fields.
func (t *Tree) watchRead() {
	if t.dev.closed.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.read(false)
}
