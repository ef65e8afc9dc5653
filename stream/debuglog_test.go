package stream_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/internal/winacl"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

func TestDebugLogWritesPrivateNDJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "restel", "resource-debug")
	l, err := stream.OpenDebugLog(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Snapshot{
		{CPUPct: provider.Some(10.0), CapturedAtMS: 1},
		provider.Unknown(time.UnixMilli(2)),
		{TotalMemMB: provider.Some[uint64](16000), Thermal: provider.ThermalHot, CapturedAtMS: 3},
	}
	for _, s := range want {
		l.Write(s)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if l.Err() != nil || l.Dropped() != 0 {
		t.Fatalf("err %v dropped %d", l.Err(), l.Dropped())
	}
	for path, mode := range map[string]os.FileMode{dir: 0o700, l.Path(): 0o600} {
		if runtime.GOOS == "windows" { // an owner-only DACL; mode bits mean nothing
			if why, err := winacl.Unsafe(path); why != "" || err != nil {
				t.Errorf("%s: %s (%v), want private to the user", path, why, err)
			}
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("%s mode %o, want %o", path, got, mode)
		}
	}
	f, err := os.Open(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var i int
	for ; sc.Scan(); i++ {
		var got provider.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		w := want[i]
		if w.Thermal == provider.ThermalUnknown {
			w.Thermal = provider.ThermalNormal
		}
		if got != w {
			t.Errorf("line %d: got %+v, want %+v", i+1, got, w)
		}
	}
	if i != len(want) {
		t.Errorf("%d lines, want %d", i, len(want))
	}
}

// A directory restel would use but that is open to group or others is
// refused, never tightened: it may be someone else's shared directory.
func TestDebugLogRefusesWideDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows directories have DACLs, not group/other mode bits: TestDebugLogRefusesOpenDACL")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := stream.OpenDebugLog(dir, 0, 0)
	if !errors.Is(err, stream.ErrUnsafeDebugDir) || l != nil {
		t.Fatalf("OpenDebugLog on a 0755 directory: %v, %v; want ErrUnsafeDebugDir", l, err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("dir mode %o, want 755 untouched", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written into a refused directory: %v", entries)
	}
}

func TestDebugLogSizeBound(t *testing.T) {
	dir := privateDir(t)
	line := len(provider.Unknown(time.UnixMilli(1)).AppendJSON(nil)) + 1
	l, err := stream.OpenDebugLog(dir, int64(3*line), 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		l.Write(provider.Unknown(time.UnixMilli(1)))
	}
	l.Close()
	if !errors.Is(l.Err(), stream.ErrDebugLogFull) || l.Dropped() != 7 {
		t.Errorf("err %v dropped %d, want ErrDebugLogFull and 7", l.Err(), l.Dropped())
	}
	fi, _ := os.Stat(l.Path())
	if fi.Size() != int64(3*line) {
		t.Errorf("file size %d, want %d", fi.Size(), 3*line)
	}
}

func TestDebugLogPrunesOldRuns(t *testing.T) {
	dir := privateDir(t)
	old := time.Now().Add(-time.Hour)
	for i := range 5 {
		p := filepath.Join(dir, "run-old"+string(rune('a'+i))+".ndjson")
		if err := os.WriteFile(p, []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old.Add(time.Duration(i)*time.Minute), old.Add(time.Duration(i)*time.Minute))
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := stream.OpenDebugLog(dir, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	got := strings.Join(names, " ")
	for _, gone := range []string{"run-olda", "run-oldb", "run-oldc"} {
		if strings.Contains(got, gone) {
			t.Errorf("%s should have been pruned: %s", gone, got)
		}
	}
	for _, kept := range []string{"run-oldd", "run-olde", "notes.txt", filepath.Base(l.Path())} {
		if !strings.Contains(got, kept) {
			t.Errorf("%s should have been kept: %s", kept, got)
		}
	}
}

func TestDebugLogFailuresNeverPanic(t *testing.T) {
	// A file where the directory should be: opening fails with an error.
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := stream.OpenDebugLog(filepath.Join(f, "sub"), 0, 0); err == nil {
		t.Error("expected an error for a directory under a file")
	}
	// A nil log ignores every call.
	var l *stream.DebugLog
	l.Write(provider.Snapshot{})
	if l.Close() != nil || l.Err() != nil || l.Path() != "" || l.Dropped() != 0 {
		t.Error("nil DebugLog must be inert")
	}
	// Writes after Close are dropped, not panics.
	l2, err := stream.OpenDebugLog(privateDir(t), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	l2.Close()
	l2.Write(provider.Snapshot{})
	if l2.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", l2.Dropped())
	}
}

// More runs in flight than the directory keeps: pruning spares every file
// still open, so each run keeps its samples; once they close, the next
// open trims the directory back to keep.
func TestDebugLogPruneSparesOpenFiles(t *testing.T) {
	dir := privateDir(t)
	const keep = 3
	logs := make([]*stream.DebugLog, keep+2)
	for i := range logs {
		l, err := stream.OpenDebugLog(dir, 0, keep)
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = l
	}
	// A second spelling of the directory names the same open files.
	other, err := stream.OpenDebugLog(dir+string(filepath.Separator)+".", 0, keep)
	if err != nil {
		t.Fatal(err)
	}
	logs = append(logs, other)
	for i, l := range logs {
		l.Write(provider.Snapshot{CapturedAtMS: int64(i + 1)})
		// Distinct, increasing mtimes: the first files are the oldest.
		at := time.Now().Add(time.Duration(i-len(logs)) * time.Minute)
		if err := os.Chtimes(l.Path(), at, at); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil || l.Err() != nil {
			t.Fatalf("run %d: close %v, err %v", i, err, l.Err())
		}
		b, err := os.ReadFile(l.Path())
		if err != nil || len(b) == 0 {
			t.Fatalf("run %d lost its file while open: %v (%d bytes)", i, err, len(b))
		}
	}
	l, err := stream.OpenDebugLog(dir, 0, keep)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != keep {
		t.Fatalf("after the runs closed the directory holds %d files, want %d: %v", len(names), keep, names)
	}
	for _, gone := range logs[:len(logs)-keep+1] {
		if _, err := os.Stat(gone.Path()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s (an old closed run) should have been pruned: %v", filepath.Base(gone.Path()), err)
		}
	}
}

// privateDir returns a new empty directory restel may own: 0700, the
// test's (t.TempDir itself is 0777 less the umask).
func privateDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "runs")
	mkdir := func(p string) error { return os.Mkdir(p, 0o700) }
	if runtime.GOOS == "windows" { // os.Mkdir ignores the mode there
		mkdir = winacl.Mkdir
	}
	if err := mkdir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// BenchmarkOpenDebugLog: opening a run file (the checked walk, pruning a
// full directory, the exclusive create) and closing it, as a DebugLocal
// run's BeginRun and Finish do.
func BenchmarkOpenDebugLog(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "restel", "resource-debug")
	b.ReportAllocs()
	for b.Loop() {
		l, err := stream.OpenDebugLog(dir, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}
