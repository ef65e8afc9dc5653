package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

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

// openLogs holds the paths of the run files this process has open, which
// pruning never removes: a run in flight keeps its samples even when more
// than keep runs write at once. The directory then holds one file per run
// in flight until they close, and the next prune trims it back to keep.
// Paths are keyed absolute, so two spellings of one directory agree.
var openLogs struct {
	sync.Mutex
	paths map[string]struct{}
}

func logKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}

func markOpen(path string, open bool) {
	path = logKey(path)
	openLogs.Lock()
	defer openLogs.Unlock()
	if !open {
		delete(openLogs.paths, path)
		return
	}
	if openLogs.paths == nil {
		openLogs.paths = map[string]struct{}{}
	}
	openLogs.paths[path] = struct{}{}
}

func isOpen(path string) bool {
	path = logKey(path)
	openLogs.Lock()
	defer openLogs.Unlock()
	_, ok := openLogs.paths[path]
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

// DebugLog writes one run's raw snapshots as NDJSON, one snapshot per line,
// to a private local file: the directory is 0700, the file 0600, the file
// never grows past its limit, and nothing is ever sent anywhere. A write
// failure is recorded (see Err) and stops further writes; it never reaches
// the run. A DebugLog is not safe for concurrent use; a nil *DebugLog
// ignores every call.
type DebugLog struct {
	f       *os.File
	path    string
	buf     []byte
	size    int64
	limit   int64
	dropped uint64
	err     error
}

// OpenDebugLog creates a new run file in dir (created 0700 if missing, and
// tightened to 0700 if it exists), named run-*.ndjson, and prunes the
// directory to the newest keep files, sparing files this process still has
// open. limit <= 0 means DefaultDebugFileLimit; keep
// <= 0 means DefaultDebugKeep.
func OpenDebugLog(dir string, limit int64, keep int) (*DebugLog, error) {
	if limit <= 0 {
		limit = DefaultDebugFileLimit
	}
	if keep <= 0 {
		keep = DefaultDebugKeep
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	prune(dir, keep-1)
	f, err := os.CreateTemp(dir, "run-*.ndjson") // CreateTemp opens 0600
	if err != nil {
		return nil, fmt.Errorf("debug log: %w", err)
	}
	markOpen(f.Name(), true)
	return &DebugLog{f: f, path: f.Name(), limit: limit, buf: make([]byte, 0, 256)}, nil
}

// prune removes the oldest run files so that at most keep remain, never
// one this process has open. Errors are ignored: pruning is best effort
// and must not fail a run.
func prune(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		mod  int64
	}
	var runs []file
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), "run-") && strings.HasSuffix(e.Name(), ".ndjson") {
			if info, err := e.Info(); err == nil {
				runs = append(runs, file{e.Name(), info.ModTime().UnixNano()})
			}
		}
	}
	if len(runs) <= keep {
		return
	}
	slices.SortFunc(runs, func(a, b file) int {
		if c := a.mod - b.mod; c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	for _, r := range runs[:len(runs)-max(keep, 0)] {
		if p := filepath.Join(dir, r.name); !isOpen(p) {
			_ = os.Remove(p)
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
	if l.err != nil || l.f == nil {
		l.dropped++
		return
	}
	l.buf = append(s.AppendJSON(l.buf[:0]), '\n')
	if l.size+int64(len(l.buf)) > l.limit {
		l.err = ErrDebugLogFull
		l.dropped++
		return
	}
	n, err := l.f.Write(l.buf)
	l.size += int64(n)
	if err != nil {
		l.err = fmt.Errorf("debug log: %w", err)
		l.dropped++
	}
}

// Path returns the run file's path.
func (l *DebugLog) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Dropped returns how many snapshots were not written.
func (l *DebugLog) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped
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
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	markOpen(l.path, false)
	if err != nil && !errors.Is(err, fs.ErrClosed) {
		return fmt.Errorf("debug log: %w", err)
	}
	return nil
}
