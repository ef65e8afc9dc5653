package stream

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/restel/restel/provider"
)

// Debug log bounds (docs/contract.md §3: raw samples stay local and bounded).
const (
	// DefaultDebugFileLimit caps one run's raw-sample file. At roughly 200
	// bytes a line it holds about 20,000 samples: 83 minutes at 250 ms.
	DefaultDebugFileLimit = 4 << 20
	// DefaultDebugKeep is how many run files the directory keeps; older
	// ones are removed when a file is opened or closed, except files this
	// process still has open.
	DefaultDebugKeep = 32
)

// openLogs holds the run files this process has open, which pruning never
// removes: a run in flight keeps its samples even when more than keep runs
// write at once. The directory then holds one file per run in flight until
// they close, and the next prune trims it back to keep. Files are keyed by
// their directory's identity (device and inode where the OS has them) and
// name, so two spellings of one directory agree.
var openLogs struct {
	sync.Mutex // runs open and close their logs from their own goroutines
	keys       map[string]struct{}
}

func markOpen(key string, open bool) {
	openLogs.Lock()
	defer openLogs.Unlock()
	if !open {
		delete(openLogs.keys, key)
		return
	}
	if openLogs.keys == nil {
		openLogs.keys = map[string]struct{}{}
	}
	openLogs.keys[key] = struct{}{}
}

func isOpen(key string) bool {
	openLogs.Lock()
	defer openLogs.Unlock()
	_, ok := openLogs.keys[key]
	return ok
}

// DefaultDebugDir returns <user cache dir>/restel/resource-debug
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows).
func DefaultDebugDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("debug log: no user cache dir: %w", err)
	}
	return filepath.Join(base, "restel", "resource-debug"), nil
}

// ErrUnsafeDebugDir is wrapped by OpenDebugLog's error when a directory on
// the way to the run files is a symlink, not a directory, owned by another
// user, or open to group or others (on Windows: its DACL lets others in).
// Such a directory is never chmod-ed, written into or pruned.
var ErrUnsafeDebugDir = errors.New("debug log: refusing unsafe directory")

// unsafeDir returns the error for the refused directory path.
func unsafeDir(path, why string) error {
	return fmt.Errorf("%w %s: %s", ErrUnsafeDebugDir, path, why)
}

// DebugLog writes one run's raw snapshots as NDJSON, one snapshot per line,
// to a private local file: the directory is 0700, the file 0600 (on
// Windows, an owner-only DACL), the file
// never grows past its limit, and nothing is ever sent anywhere. A write
// failure is recorded (see Err) and stops further writes; it never reaches
// the run. Its writes happen on the caller's goroutine: to keep a
// filesystem whose writes block off the caller's path, hand the log to a
// [DebugWriter]. A DebugLog is not safe for concurrent use, except
// Dropped; a nil *DebugLog ignores every call.
type DebugLog struct {
	w       io.Writer
	c       io.Closer // nil when w needs no closing
	closed  bool
	path    string
	key     string // in the open-files set; "" for NewDebugLog's
	buf     []byte
	size    int64
	limit   int64
	dropped atomic.Uint64 // Dropped is read from another goroutine than the writer's
	err     error
}

// NewDebugLog returns a log that writes NDJSON lines to w, at most limit
// bytes (<= 0: DefaultDebugFileLimit); Close closes w when it is an
// io.Closer. Its Path is "". It is for a sink of the caller's choosing;
// OpenDebugLog makes the private run file.
func NewDebugLog(w io.Writer, limit int64) *DebugLog {
	if limit <= 0 {
		limit = DefaultDebugFileLimit
	}
	l := &DebugLog{w: w, limit: limit, buf: make([]byte, 0, 256)}
	l.c, _ = w.(io.Closer)
	return l
}

// OpenDebugLog creates a new run file named run-*.ndjson in dir (empty:
// DefaultDebugDir) and prunes the directory to the newest keep run files,
// sparing files this process still has open. limit <= 0 means
// DefaultDebugFileLimit; keep <= 0 means DefaultDebugKeep.
//
// The directories restel owns are walked one component at a time without
// following symlinks (docs/contract.md §3): for a dir under restel's own
// directory of the user cache directory (DefaultDebugDir), every component
// from restel down (restel, resource-debug); for any other dir, dir
// itself, its parent being the caller's. A missing one is
// created 0700. An existing one that is a symlink, not a directory, owned
// by another user, or with any group or other permission bit is refused
// with an error wrapping ErrUnsafeDebugDir, and nothing is written,
// chmod-ed or pruned. The run file is created exclusively (never through
// an existing name or symlink), mode 0600, and pruning removes only
// regular run files owned by the effective user, through the verified
// directory. On Windows, which has no mode bits of this kind and no
// openat, private means owned by the user with a protected DACL granting
// the user alone (what restel creates); an existing component passes when
// the user owns it and its DACL lets in no one but the user, LocalSystem
// and the Administrators group. Each component is checked (Lstat, then its
// security descriptor) just before it is used, a best effort a concurrent
// swap can race.
func OpenDebugLog(dir string, limit int64, keep int) (*DebugLog, error) {
	if dir == "" {
		d, err := DefaultDebugDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if limit <= 0 {
		limit = DefaultDebugFileLimit
	}
	if keep <= 0 {
		keep = DefaultDebugKeep
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	cache, _ := os.UserCacheDir()
	base, rel, err := splitDebugDir(abs, cache)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	d, err := openDebugDir(base, rel)
	if err != nil {
		return nil, err
	}
	defer d.close()
	prune(d, keep-1)
	f, name, err := d.create()
	if err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	key := d.key(name)
	markOpen(key, true)
	l := NewDebugLog(f, limit)
	l.path, l.key = f.Name(), key
	return l, nil
}

// splitDebugDir splits the absolute directory dir into the base the walk
// starts from, trusted as the user's, and the components below it that
// restel creates and checks: for a dir in restel's own tree of the user
// cache directory (cache/restel/...), base is cache and every component
// from restel down is checked; for any other dir, base is dir's parent.
func splitDebugDir(dir, cache string) (base string, rel []string, err error) {
	dir = filepath.Clean(dir)
	if cache != "" && filepath.IsAbs(cache) {
		cache = filepath.Clean(cache)
		if r, err := filepath.Rel(cache, dir); err == nil {
			if rel := strings.Split(r, string(filepath.Separator)); rel[0] == "restel" {
				return cache, rel, nil
			}
		}
	}
	name := filepath.Base(dir)
	if name == "." || name == ".." || name == string(filepath.Separator) || filepath.Dir(dir) == dir {
		return "", nil, fmt.Errorf("debug log: %s: not a directory restel can own", dir)
	}
	return filepath.Dir(dir), []string{name}, nil
}

// isRunName reports whether name is a run file's name (run-*.ndjson).
func isRunName(name string) bool {
	return len(name) > len("run-")+len(".ndjson") && strings.HasPrefix(name, "run-") && strings.HasSuffix(name, ".ndjson") &&
		!strings.ContainsAny(name, `/\`)
}

// runName returns a fresh run file name for a random value.
func runName(r uint64) string {
	return "run-" + strconv.FormatUint(r, 36) + ".ndjson"
}

// runFile is a prunable run file: a regular file named run-*.ndjson owned
// by the effective user.
type runFile struct {
	name string
	mod  int64 // modification time, Unix ns
}

// pruneVictims returns the run files to remove so that at most keep
// remain, oldest (by modification time, then name) first.
func pruneVictims(runs []runFile, keep int) []runFile {
	keep = max(keep, 0)
	if len(runs) <= keep {
		return nil
	}
	slices.SortFunc(runs, func(a, b runFile) int {
		if c := cmp.Compare(a.mod, b.mod); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return runs[:len(runs)-keep]
}

// prune removes the oldest run files of d so that at most keep remain,
// never one this process has open. Errors are ignored: pruning is best
// effort and must not fail a run.
func prune(d *debugDir, keep int) {
	for _, r := range pruneVictims(d.runs(), keep) {
		if !isOpen(d.key(r.name)) {
			d.remove(r.name)
		}
	}
}

// ErrDebugLogFull is recorded when a run's file reaches its size limit.
var ErrDebugLogFull = errors.New("debug log: size limit reached")

// Write appends s as one NDJSON line. Once the limit would be exceeded or a
// write fails, later snapshots are counted as dropped instead.
func (l *DebugLog) Write(s provider.Snapshot) {
	if l == nil {
		return
	}
	if l.err != nil || l.closed {
		l.dropped.Add(1)
		return
	}
	l.buf = append(s.AppendJSON(l.buf[:0]), '\n')
	if l.size+int64(len(l.buf)) > l.limit {
		l.err = ErrDebugLogFull
		l.dropped.Add(1)
		return
	}
	n, err := l.w.Write(l.buf)
	l.size += int64(n)
	if err != nil {
		l.err = fmt.Errorf("debug log: %w", err)
		l.dropped.Add(1)
	}
}

// Path returns the run file's path.
func (l *DebugLog) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Dropped returns how many snapshots were not written. It is safe to
// call from any goroutine.
func (l *DebugLog) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Err returns the first failure (ErrDebugLogFull, or a wrapped write
// error), if any.
func (l *DebugLog) Err() error {
	if l == nil {
		return nil
	}
	return l.err
}

// Close closes the file; it is safe to call twice. The file stays until a
// later OpenDebugLog prunes it as one of the oldest.
func (l *DebugLog) Close() error {
	if l == nil || l.closed {
		return nil
	}
	l.closed = true
	var err error
	if l.c != nil {
		err = l.c.Close()
	}
	if l.key != "" {
		markOpen(l.key, false)
	}
	if err != nil && !errors.Is(err, fs.ErrClosed) {
		return fmt.Errorf("debug log: %w", err)
	}
	return nil
}

// dirUnsafe says why a directory with owner uid and permission bits perm
// may not hold run files for the effective user euid, or "" when it may.
func dirUnsafe(uid uint64, perm uint32, euid int) string {
	if euid >= 0 && uid != uint64(euid) {
		return "owned by uid " + strconv.FormatUint(uid, 10) + ", not " + strconv.Itoa(euid)
	}
	if perm&0o077 != 0 {
		return "mode " + strconv.FormatUint(uint64(perm), 8) + " is open to group or others (want 700)"
	}
	return ""
}
