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
	"sync/atomic"
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
//     root and every descendant alive at the walk: VmRSS of
//     /proc/<pid>/status for the processes whose status the walk opens
//     (all of them in a tree of up to maxStatusReads, in turns in a larger
//     one), the resident pages of /proc/<pid>/statm for the others (on
//     the live /proc; a fixture root's stat rss field). Pages shared
//     between the processes (a forked worker's copy-on-write memory)
//     count once per process, as in the sum ps or top would give.
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
// under the thread that made them), so a walk costs a few system calls per
// process of the tree, whatever else runs on the machine; on the live
// /proc each process's files stay open between walks (up to half the
// open-file limit) and are read with one pread each. A kernel without
// those files (CONFIG_PROC_CHILDREN off) is walked by reading the parent
// pid of every process under the procfs root instead, which costs as many
// reads as the machine has processes. Every file is opened non-blocking
// and read into a bounded buffer; a walk stops at maxTreeProcs processes.
//
// A read walks the tree itself up to syncTreeProcs processes. A larger
// tree is walked by a background walker (started by the read that finds
// it so, stopped by Close, or once a walk finds the tree down to half
// that size), using at most about a tenth of a CPU; the reads answer at
// once with its last complete walk. [Tree.Stats] says which reads were
// answered from an earlier walk, or with totals that miss part of the tree.
//
// Tree is safe for concurrent use. Create it with [NewTree]; release its
// files with [Tree.Close].
type Tree struct {
	dev     *Provider
	procfs  string
	root    int
	hz      uint64 // the unit of the stat ticks: USER_HZ (userHZ)
	pageKiB uint64 // the page size in KiB, the unit of stat's rss

	walkMu sync.Mutex // guards the walk's state, up to mu
	scan   bool       // walk by scanning the procfs root
	w      treeWalk
	cursor int // where the next walk's status reads start in the tree
	// fds keeps the stat and children files of the tree's processes open
	// between walks (the live /proc only), at most fdBudget descriptors.
	fds      map[int]procFiles
	fdCount  int
	fdBudget int
	gen      uint32 // the walk count, marking the files each walk used
	// syncProcs is the most processes a read walks itself; a larger tree
	// is walked by the background walker.
	syncProcs int
	// reaper is the calling process's pid once Adopt made the tree
	// include (and reap) its adopted orphans; 0 before.
	reaper int
	reaped time.Duration // CPU time of the orphans reaped so far
	// accelPids is the last walk's processes, copied for Accelerators.
	accelPids []int

	mu     sync.Mutex // guards everything below
	hwm    uint64     // KiB: the highest VmHWM seen, or summed RSS read
	hwmOK  bool
	cpu    time.Duration // the last ProcessCPU reported
	cpuOK  bool
	last   walkResult  // the last complete walk
	lastOK bool        // last holds a walk
	stats  TreeStats   // what the reads so far answered with
	bg     *treeWalker // the background walker while it runs
	closed bool        // Close has begun: no walker starts
}

// Compile-time checks of the capabilities a Tree offers.
var (
	_ provider.SnapshotProvider  = (*Tree)(nil)
	_ provider.RunReader         = (*Tree)(nil)
	_ provider.ThermalReader     = (*Tree)(nil)
	_ provider.BatteryReader     = (*Tree)(nil)
	_ provider.AcceleratorReader = (*Tree)(nil)
)

const (
	// maxTreeProcs bounds the processes one walk visits, maxTreeTasks the
	// threads listed per process.
	maxTreeProcs = 1 << 15
	maxTreeTasks = 1 << 15
	// treeBuf is the initial file buffer (a status file is about 1.5 KiB);
	// a children list that fills it grows it, up to maxChildrenBytes: room
	// for maxTreeProcs pids of 7 digits and their spaces.
	treeBuf          = 4 << 10
	maxChildrenBytes = maxTreeProcs * 8
	// maxStatusReads bounds the status files (the costly ones, for VmHWM)
	// one walk opens: a larger tree has them read in turns.
	maxStatusReads = 256
	// syncTreeProcs is the default of Tree.syncProcs: a read that walks
	// this many processes (a few milliseconds) and finds more hands the
	// tree to the background walker.
	syncTreeProcs = 1024
	// walkerInterval is the background walker's shortest pause between
	// walks; it pauses nine times a walk's duration when that is longer,
	// so it uses at most a tenth of a CPU whatever the tree's size.
	walkerInterval = 100 * time.Millisecond
	// walkStep is how many processes the walker visits between two
	// checks for Close.
	walkStep = 256
)

// treeWalk is the scratch state of one walk, reused across walks.
type treeWalk struct {
	path  []byte
	buf   []byte
	dbuf  []byte
	pids  []int       // the tree, root first
	stats []statTimes // the stat of each of pids
	got   []statGot   // how that stat was read
	// adopted indexes the pids that are the reaper's adopted orphans.
	adopted  []int
	stack    []int // pids to visit; an adopted orphan's negated
	tids     []int
	all      []int     // scan: every pid under the procfs root
	pairs    []scanned // scan: every process with a well-formed stat
	errs     []error
	vanished int // processes listed as children that had gone when visited
}

// procFiles are the kept-open files of one process of the tree: its stat,
// its main thread's children and its statm (index keptStat, keptChildren,
// keptStatm); -1 when not open. gen is the last walk that used them.
type procFiles struct {
	fd  [3]int
	gen uint32
}

const (
	keptStat = iota
	keptChildren
	keptStatm
)

// walkResult is what one walk of the tree found.
type walkResult struct {
	rss    uint64 // KiB, summed
	rssOK  bool
	ticks  uint64
	cpuOK  bool          // ticks covers every process walked
	reaped time.Duration // the reaped orphans' CPU time before this walk
	hwm    uint64        // KiB: the highest VmHWM read, summed RSS or reaped peak
	hwmOK  bool
	procs  int  // processes walked
	cut    bool // the walk stopped at its limit with processes left
	missed bool // a process's stat or children list could not be read
	vanish int  // processes that had gone when visited
	at     time.Time
	err    error
}

// complete reports whether r covers the whole tree.
func (r *walkResult) complete() bool { return !r.cut && !r.missed }

// TreeRead describes the tree totals a read of a [Tree] answered with.
type TreeRead struct {
	// Procs is how many processes the walk behind the totals visited.
	Procs int
	// Complete is false when the totals miss part of the tree: the walk
	// stopped at its limit (a read finding more processes than it walks
	// itself before the background walker finished a walk, or a tree of
	// more than 32,768 processes), or a process's stat or children list
	// could not be read (its resident set, CPU time or descendants are
	// then missing). A process that exits while the tree is walked is not
	// missing: it has left the tree (Vanished counts it).
	Complete bool
	// Age is how long before the read the walk finished: 0 when the read
	// walked the tree itself, the background walk's age otherwise.
	Age time.Duration
	// Vanished counts the processes the walk found listed as a child but
	// gone when it read them.
	Vanished int
}

// TreeStats counts what the reads of a [Tree] answered with, so a caller
// can tell a run's figures were not all read afresh from the whole tree.
type TreeStats struct {
	Reads      int           // reads that answered with tree totals
	Stale      int           // of those, answered from a background walk
	Incomplete int           // of those, answered with totals that miss part of the tree
	MaxAge     time.Duration // the oldest walk a read answered from
	Last       TreeRead      // the last read's
	// Walks counts the background walker's walks.
	Walks int
	// Background reports whether the tree is large enough that the
	// background walker walks it.
	Background bool
}

// Stats returns what the reads so far answered with (see [TreeStats]).
func (t *Tree) Stats() TreeStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Background = t.bg != nil
	return s
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
	t := &Tree{dev: dev, procfs: dev.procfs, root: root, hz: userHZ(), pageKiB: uint64(max(os.Getpagesize()>>10, 1)), syncProcs: syncTreeProcs}
	t.w.path = make([]byte, 0, len(t.procfs)+64)
	t.w.buf = make([]byte, treeBuf)
	t.w.dbuf = make([]byte, 8<<10)
	t.w.errs = make([]error, 0, 4)
	if t.fdBudget = keptFDBudget(t.procfs); t.fdBudget > 0 {
		t.fds = make(map[int]procFiles)
	}
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
	r, terr := t.read()
	t.mu.Lock()
	defer t.mu.Unlock()
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
	}
	if t.cpuOK {
		s.Counters.ProcessCPU = provider.Some(t.cpu)
	}
	s.Counters.RSSHighWaterMB = kibToMiB(t.hwm, t.hwmOK)
	return s, joinErr(err, terr)
}

// read returns the tree's totals: a tree of up to syncProcs processes is
// walked by the read itself; a larger one is answered at once with the
// background walker's last complete walk (its age noted), the walker
// started by the read that first found the tree too large (which answers
// with what it walked, noted incomplete, unless a complete walk is known).
func (t *Tree) read() (walkResult, error) {
	t.mu.Lock()
	bg := t.bg != nil
	t.mu.Unlock()
	var r walkResult
	if !bg {
		t.walkMu.Lock()
		r = t.walk(t.syncProcs, nil)
		t.walkMu.Unlock()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !bg {
		older := t.lastOK && t.last.procs >= r.procs
		t.publish(&r)
		if !r.cut {
			return r, t.answer(&r, false)
		}
		t.startWalker()
		if !older {
			return r, t.answer(&r, false)
		}
	}
	if !t.lastOK { // the walker started elsewhere and has not finished
		return walkResult{cut: true}, t.answer(&walkResult{cut: true}, false)
	}
	r = t.last
	r.err = nil // noted by the read that walked
	return r, t.answer(&r, true)
}

// answer counts a read answered with r, from an earlier walk when stale,
// and returns r's error. t.mu is held.
func (t *Tree) answer(r *walkResult, stale bool) error {
	s := &t.stats
	s.Last = TreeRead{Procs: r.procs, Complete: r.complete(), Vanished: r.vanish}
	s.Reads++
	if stale {
		s.Last.Age = max(time.Since(r.at), 0)
		s.Stale++
		s.MaxAge = max(s.MaxAge, s.Last.Age)
	}
	if !s.Last.Complete {
		s.Incomplete++
	}
	return r.err
}

// publish takes r, a walk's result, into the tree's high-water mark and,
// when complete, as the last complete walk. t.mu is held.
func (t *Tree) publish(r *walkResult) {
	if r.hwmOK && (!t.hwmOK || r.hwm > t.hwm) {
		t.hwm, t.hwmOK = r.hwm, true
	}
	if r.complete() || !t.lastOK {
		t.last, t.lastOK = *r, true
	}
}

// Thermal reads the device's thermal state ([Provider.Thermal]).
func (t *Tree) Thermal(ctx context.Context) (provider.ThermalState, error) {
	return t.dev.Thermal(ctx)
}

// Battery reads the device's battery charge ([Provider.Battery]).
func (t *Tree) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	return t.dev.Battery(ctx)
}

// Close stops the background walker (waiting for it: it checks between
// steps of a few hundred processes), closes the kept-open files of the
// tree's processes and releases the device Provider's files. It is safe
// to call more than once; later reads fail with provider.ErrClosed.
func (t *Tree) Close() error {
	t.mu.Lock()
	t.closed = true
	wk := t.bg
	t.bg = nil
	t.mu.Unlock()
	if wk != nil {
		close(wk.stop)
		<-wk.done
	}
	t.walkMu.Lock()
	t.closeFiles()
	t.walkMu.Unlock()
	return t.dev.Close()
}

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

// walk walks the tree, at most limit processes, reading each process's
// stat (its CPU time and RSS) and, for up to maxStatusReads processes in
// turn, its status (its VmHWM, and VmRSS). A process that exits during
// the walk is skipped. Adopted orphans that have exited are reaped (see
// Adopt). A walk given a stop channel checks it every walkStep processes
// and returns early (cut) once it is closed. t.walkMu is held.
func (t *Tree) walk(limit int, stop <-chan struct{}) (r walkResult) {
	w := &t.w
	w.errs = w.errs[:0]
	w.vanished = 0
	t.gen++
	if t.scan {
		t.walkScan()
		w.stack = w.stack[:0]
	} else if !t.walkChildren(limit, stop) {
		r.cut = true
		return r
	}
	r.cut = len(w.stack) > 0
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
		statRSS := good && st.rssOK && !st.zombie()
		if (i-first+n)%n < budget {
			if b, ok := t.readProc(pid, "status"); ok {
				m, mgood := procPIDStatus(b)
				if !mgood {
					w.errs = append(w.errs, t.invalid(pid, "status"))
				} else {
					if m.rssOK {
						r.rss, r.rssOK = satAdd(r.rss, m.rss), true
						statRSS = false
					}
					if m.hwmOK && (!r.hwmOK || m.hwm > r.hwm) {
						r.hwm, r.hwmOK = m.hwm, true
					}
				}
			}
		}
		if statRSS && t.fds != nil {
			// stat's rss is the kernel's per-CPU approximation, short by
			// up to a few dozen pages per process; statm's is summed.
			if b, ok := t.readKept(pid, keptStatm, "statm"); ok {
				if v, good := procPIDStatm(b); good {
					st.rssPages = v
				}
			}
		}
		if statRSS {
			r.rss, r.rssOK = satAdd(r.rss, st.rssPages*t.pageKiB), true
		}
		if !good {
			r.missed = true
			malformed = malformed || w.got[i] == statBad
			continue
		}
		r.ticks = satAdd(r.ticks, st.total())
		stats++
	}
	// The tree's summed resident set is a floor of its peak.
	if r.rssOK && (!r.hwmOK || r.rss > r.hwm) {
		r.hwm, r.hwmOK = r.rss, true
	}
	// A malformed stat would make the sum too low: no value beats a wrong
	// one.
	r.cpuOK = stats > 0 && !malformed
	r.reaped = t.reaped
	t.reapAdopted(&r)
	if !r.cut {
		t.sweepFiles()
	}
	r.procs, r.vanish, r.at = n, w.vanished, time.Now()
	r.missed = r.missed || len(w.errs) > 0
	r.err = joinErrs(w.errs)
	return r
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
	b, ok := t.readStat(pid)
	var st statTimes
	got := statOK
	switch {
	case !ok && len(w.errs) == noted:
		w.vanished++
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

// readStat reads /proc/<pid>/stat (see readKept).
func (t *Tree) readStat(pid int) ([]byte, bool) {
	if t.fds == nil {
		return t.readProc(pid, "stat")
	}
	return t.readKept(pid, keptStat, "stat")
}

// readKept reads /proc/<pid>/<name>, the file of index i in procFiles:
// through the file kept open since an earlier walk when there is one
// (pread at offset 0: the kernel generates the content afresh; the file
// still names the process it was opened for, so a reused pid reads ESRCH
// there, and is opened again), else by its path, keeping the file open
// when the budget allows. A stat not kept open leaves the process's other
// files unkept too. t.fds is not nil.
func (t *Tree) readKept(pid, i int, name string) ([]byte, bool) {
	w := &t.w
	e, kept := t.fds[pid]
	if kept && e.fd[i] >= 0 {
		n, err := preadProc(e.fd[i], w.buf, false)
		if err == nil {
			e.gen = t.gen
			t.fds[pid] = e
			return w.buf[:n], true
		}
		t.dropFiles(pid, e)
		kept = false
		if !gone(err) {
			w.setPath(t.procfs, pid, name, 0, "")
			w.noteReadErr(err)
			return nil, false
		}
	}
	w.setPath(t.procfs, pid, name, 0, "")
	fd, err := openProcFile(w.path)
	if err != nil {
		w.noteReadErr(err)
		return nil, false
	}
	n, err := preadProc(fd, w.buf, false)
	if err != nil {
		closeProcFile(fd)
		w.noteReadErr(err)
		return nil, false
	}
	switch {
	case keptFiles.Load() >= int64(t.fdBudget) || (!kept && i != keptStat):
		closeProcFile(fd)
	case kept:
		e.fd[i], e.gen = fd, t.gen
		t.fds[pid] = e
		t.fdCount++
		keptFiles.Add(1)
	default:
		t.fds[pid] = procFiles{fd: [3]int{fd, -1, -1}, gen: t.gen}
		t.fdCount++
		keptFiles.Add(1)
	}
	return w.buf[:n], true
}

// keptFiles counts the files every Tree of the process keeps open: the
// descriptor budget (keptFDBudget) is the process's, not each Tree's.
var keptFiles atomic.Int64

// dropFiles closes and forgets pid's kept-open files. t.walkMu is held.
func (t *Tree) dropFiles(pid int, e procFiles) {
	for _, fd := range e.fd {
		if fd >= 0 {
			closeProcFile(fd)
			t.fdCount--
			keptFiles.Add(-1)
		}
	}
	delete(t.fds, pid)
}

// sweepFiles closes the kept-open files of the processes the last
// complete walk did not visit (they left the tree). t.walkMu is held.
func (t *Tree) sweepFiles() {
	for pid, e := range t.fds {
		if e.gen != t.gen {
			t.dropFiles(pid, e)
		}
	}
}

// closeFiles closes every kept-open file and keeps none from now on.
// t.walkMu is held.
func (t *Tree) closeFiles() {
	for pid, e := range t.fds {
		t.dropFiles(pid, e)
	}
	t.fds, t.fdBudget = nil, 0
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
// descendants, up to limit processes (w.stack keeps what is left). A
// single-threaded process's (stat's num_threads) one children file is
// read without listing its task directory. It returns false when stop
// was closed.
func (t *Tree) walkChildren(limit int, stop <-chan struct{}) bool {
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
	limit = min(limit, maxTreeProcs)
	for steps := 1; len(w.stack) > 0 && len(w.pids) < limit; steps++ {
		if stop != nil && steps%walkStep == 0 {
			select {
			case <-stop:
				return false
			default:
			}
		}
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
	return true
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
// growing the buffer (up to maxChildrenBytes) for a list that fills it.
// The main thread's list of a process whose stat is kept open is kept
// open too.
func (t *Tree) readChildren(pid, tid int) {
	w := &t.w
	w.setPath(t.procfs, pid, "task", tid, "children")
	for {
		n, err := t.readChildrenFile(pid, tid)
		if err != nil {
			w.noteReadErr(err)
			return
		}
		if n == len(w.buf) && len(w.buf) < maxChildrenBytes {
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

// readChildrenFile reads the children list at w.path (thread tid of
// pid) into w.buf, through the kept-open file when there is one.
func (t *Tree) readChildrenFile(pid, tid int) (int, error) {
	w := &t.w
	e, kept := t.fds[pid]
	if !kept || tid != pid {
		return readTreeFile(w.path, w.buf)
	}
	if e.fd[keptChildren] < 0 {
		if keptFiles.Load() >= int64(t.fdBudget) {
			return readTreeFile(w.path, w.buf)
		}
		fd, err := openProcFile(w.path)
		if err != nil {
			return 0, err
		}
		e.fd[keptChildren] = fd
		t.fds[pid] = e
		t.fdCount++
		keptFiles.Add(1)
	}
	return preadProc(e.fd[keptChildren], w.buf, true)
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
	t.walkMu.Lock()
	defer t.walkMu.Unlock()
	t.reaper = os.Getpid()
	return nil
}

// reapAdopted reaps the adopted orphans the walk saw as zombies, adding
// their CPU time to the tree's and their peak to r's. t.walkMu is held.
func (t *Tree) reapAdopted(r *walkResult) {
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
		if !r.hwmOK || maxKiB > r.hwm {
			r.hwm, r.hwmOK = maxKiB, true
		}
	}
}

// treeWalker is the background walker's goroutine: stop ends it, done is
// closed when it has returned.
type treeWalker struct{ stop, done chan struct{} }

// startWalker starts the background walker unless it runs or the tree is
// closing. t.mu is held.
func (t *Tree) startWalker() {
	if t.bg != nil || t.closed {
		return
	}
	wk := &treeWalker{stop: make(chan struct{}), done: make(chan struct{})}
	t.bg = wk
	go t.runWalker(wk)
}

// runWalker walks the whole tree over and over, publishing each walk for
// the reads to answer with, pausing between walks walkerInterval or nine
// times the walk's duration if that is longer (at most a tenth of a CPU).
// It ends when stopped (Close), or once a complete walk finds the tree
// down to half of what a read walks itself, leaving the reads to walk
// again.
func (t *Tree) runWalker(wk *treeWalker) {
	defer close(wk.done)
	var timer *time.Timer
	for {
		start := time.Now()
		t.walkMu.Lock()
		r := t.walk(maxTreeProcs, wk.stop)
		t.walkMu.Unlock()
		select {
		case <-wk.stop:
			return
		default:
		}
		t.mu.Lock()
		t.publish(&r)
		t.stats.Walks++
		small := r.complete() && r.procs <= t.syncProcs/2
		if small && t.bg == wk {
			t.bg = nil
		}
		t.mu.Unlock()
		if small {
			return
		}
		pause := max(walkerInterval, 9*time.Since(start))
		if timer == nil {
			timer = time.NewTimer(pause)
			defer timer.Stop()
		} else {
			timer.Reset(pause)
		}
		select {
		case <-wk.stop:
			return
		case <-timer.C:
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

// watchRead is one read of Watch: the tree's totals (walked, or the
// background walker's), without the device's fields.
func (t *Tree) watchRead() {
	if t.dev.closed.Load() {
		return
	}
	_, _ = t.read()
}

// Accelerators implements provider.AcceleratorReader for the tree: the
// device's accelerators ([Provider.Accelerators]), each with the device
// memory held by the processes of the tree's last walk (the root alone
// before one). A DRM client shared by several processes of the tree (a
// descriptor inherited over fork) counts once.
func (t *Tree) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	t.walkMu.Lock()
	pids := append(t.accelPids[:0], t.w.pids...)
	if len(pids) == 0 {
		pids = append(pids, t.root)
	}
	t.accelPids = pids
	defer t.walkMu.Unlock()
	return t.dev.accelerators(ctx, dst, pids)
}
