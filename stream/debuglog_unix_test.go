//go:build unix

package stream_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// foreignUID owns the directories and files planted as another user's
// (nobody on most systems).
const foreignUID = 65534

// victimState records what an attack must leave alone: every entry under
// root (symlinks not followed) with its mode, owner, times and content.
func victimState(t *testing.T, root string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		desc := fi.Mode().String() + " mtime=" + fi.ModTime().String()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			desc += " uid=" + strconv.FormatUint(uint64(st.Uid), 10)
		}
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(b)
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		state[p] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// plantVictim makes a directory that pruning would empty if it reached it:
// old run files (keep 1 prunes all but the newest) and another file.
func plantVictim(t *testing.T, dir string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i, name := range []string{"run-a.ndjson", "run-b.ndjson", "run-c.ndjson", "precious.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("victim "+name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := old.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// useCache points os.UserCacheDir at a fresh directory and returns it with
// the default debug directory under it.
func useCache(t *testing.T) (cache, debugDir string) {
	t.Helper()
	cache = filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", cache) // Linux and the other BSDs
	t.Setenv("HOME", cache)           // macOS: $HOME/Library/Caches
	got, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(got, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := stream.DefaultDebugDir()
	if err != nil {
		t.Fatal(err)
	}
	return got, dir
}

// TestDebugLogAttacks: a directory on the way to the run files that is a
// symlink, another user's, or open to group or others is refused with
// ErrUnsafeDebugDir; nothing is written, chmod-ed or pruned, and the
// victim (the symlink's target, the foreign directory) is untouched.
func TestDebugLogAttacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		// plant builds the attack under cache and returns the victim tree.
		plant func(t *testing.T, cache string) (victim string)
	}{
		{"restel is a symlink", func(t *testing.T, cache string) string {
			victim := filepath.Join(filepath.Dir(cache), "victim")
			plantVictim(t, filepath.Join(victim, "resource-debug"), 0o755)
			os.Chmod(victim, 0o755)
			symlink(t, victim, filepath.Join(cache, "restel"))
			return victim
		}},
		{"resource-debug is a symlink", func(t *testing.T, cache string) string {
			victim := filepath.Join(filepath.Dir(cache), "victim")
			plantVictim(t, victim, 0o700) // even a private-looking target
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			symlink(t, victim, filepath.Join(cache, "restel", "resource-debug"))
			return victim
		}},
		{"resource-debug is a symlink to a missing path", func(t *testing.T, cache string) string {
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			missing := filepath.Join(filepath.Dir(cache), "victim", "created-by-restel")
			mkdir(t, filepath.Dir(missing), 0o755)
			symlink(t, missing, filepath.Join(cache, "restel", "resource-debug"))
			return filepath.Dir(missing)
		}},
		{"restel owned by another user", func(t *testing.T, cache string) string {
			victim := filepath.Join(cache, "restel")
			plantVictim(t, filepath.Join(victim, "resource-debug"), 0o700)
			mkdir(t, victim, 0o700)
			chown(t, victim)
			return victim
		}},
		{"resource-debug owned by another user, 0777", func(t *testing.T, cache string) string {
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			victim := filepath.Join(cache, "restel", "resource-debug")
			plantVictim(t, victim, 0o777)
			chown(t, victim)
			return victim
		}},
		{"resource-debug owned by another user, 0700", func(t *testing.T, cache string) string {
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			victim := filepath.Join(cache, "restel", "resource-debug")
			plantVictim(t, victim, 0o700)
			chown(t, victim)
			return victim
		}},
		{"resource-debug other-writable", func(t *testing.T, cache string) string {
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			victim := filepath.Join(cache, "restel", "resource-debug")
			plantVictim(t, victim, 0o707)
			return victim
		}},
		{"resource-debug group-writable", func(t *testing.T, cache string) string {
			mkdir(t, filepath.Join(cache, "restel"), 0o700)
			victim := filepath.Join(cache, "restel", "resource-debug")
			plantVictim(t, victim, 0o770)
			return victim
		}},
		{"restel group-readable", func(t *testing.T, cache string) string {
			victim := filepath.Join(cache, "restel")
			plantVictim(t, filepath.Join(victim, "resource-debug"), 0o700)
			mkdir(t, victim, 0o750)
			return victim
		}},
		{"resource-debug is a file", func(t *testing.T, cache string) string {
			victim := filepath.Join(cache, "restel")
			mkdir(t, victim, 0o700)
			if err := os.WriteFile(filepath.Join(victim, "resource-debug"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			return victim
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache, dir := useCache(t)
			victim := tc.plant(t, cache)
			before := victimState(t, victim)
			l, err := stream.OpenDebugLog(dir, 0, 1)
			if !errors.Is(err, stream.ErrUnsafeDebugDir) || l != nil {
				l.Close()
				t.Fatalf("OpenDebugLog = %v, %v; want ErrUnsafeDebugDir", l, err)
			}
			if after := victimState(t, victim); !maps.Equal(before, after) {
				t.Errorf("victim changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// TestDebugLogPlantedRunFiles: inside a sound directory, entries named
// like run files that are not the user's regular files (a symlink to a
// victim file, a FIFO, a directory, another user's file) are neither
// followed, opened nor pruned, and the run still gets its file.
func TestDebugLogPlantedRunFiles(t *testing.T) {
	_, dir := useCache(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victims := t.TempDir()
	victimFile := filepath.Join(victims, "victim.ndjson")
	if err := os.WriteFile(victimFile, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	victimDir := filepath.Join(victims, "dir")
	plantVictim(t, victimDir, 0o755)
	symlink(t, victimFile, filepath.Join(dir, "run-1symlink.ndjson"))
	symlink(t, victimDir, filepath.Join(dir, "run-2dirlink.ndjson"))
	if err := syscall.Mkfifo(filepath.Join(dir, "run-3fifo.ndjson"), 0o600); err != nil {
		t.Fatal(err)
	}
	mkdir(t, filepath.Join(dir, "run-4dir.ndjson"), 0o700)
	foreign := filepath.Join(dir, "run-5foreign.ndjson")
	if err := os.WriteFile(foreign, []byte("theirs\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chown(t, foreign)
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"run-1symlink.ndjson", "run-2dirlink.ndjson", "run-3fifo.ndjson", "run-4dir.ndjson", "run-5foreign.ndjson"} {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	planted := victimState(t, dir)
	before := victimState(t, victims)

	// keep 1: everything old would go if pruning trusted names.
	for range 3 {
		l, err := stream.OpenDebugLog(dir, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		l.Write(provider.Snapshot{CapturedAtMS: 1})
		if err := l.Close(); err != nil || l.Err() != nil {
			t.Fatalf("close %v, err %v", err, l.Err())
		}
		fi, err := os.Lstat(l.Path())
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Fatalf("run file %s: %v %v; want a regular 0600 file", l.Path(), fi, err)
		}
	}
	if after := victimState(t, victims); !maps.Equal(before, after) {
		t.Errorf("victims changed:\nbefore %v\nafter  %v", before, after)
	}
	after := victimState(t, dir)
	for p, desc := range planted {
		if p == dir {
			continue // its mtime moves with the run files
		}
		if after[p] != desc {
			t.Errorf("planted %s changed: %q -> %q", p, desc, after[p])
		}
	}
	// The three runs, pruned to one: planted entries plus one run file.
	if got, want := len(after), len(planted)+1; got != want {
		t.Errorf("directory holds %d entries, want %d: %v", got, want, after)
	}
}

// TestDebugLogCreatesPrivateTree: missing components are created 0700
// whatever the umask lets through, and the user cache dir is left as is.
func TestDebugLogCreatesPrivateTree(t *testing.T) {
	cache, dir := useCache(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	l, err := stream.OpenDebugLog(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for p, want := range map[string]os.FileMode{
		cache:                          0o755,
		filepath.Join(cache, "restel"): 0o700,
		dir:                            0o700,
		l.Path():                       0o600,
	} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
}

func mkdir(t *testing.T, p string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(p, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// chown gives p to foreignUID; it needs root, so the test is skipped for
// an ordinary user.
func chown(t *testing.T, p string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	if err := os.Lchown(p, foreignUID, foreignUID); err != nil {
		t.Fatal(err)
	}
}

// TestDebugLogCustomDirSymlink: a caller's own directory (outside
// restel's tree of the cache dir) is checked too: given as a symlink, it
// is refused and its target untouched, however private it looks.
func TestDebugLogCustomDirSymlink(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	plantVictim(t, victim, 0o700)
	link := filepath.Join(base, "debug")
	symlink(t, victim, link)
	before := victimState(t, victim)
	if l, err := stream.OpenDebugLog(link, 0, 1); !errors.Is(err, stream.ErrUnsafeDebugDir) {
		l.Close()
		t.Fatalf("OpenDebugLog(symlink) = %v; want ErrUnsafeDebugDir", err)
	}
	if after := victimState(t, victim); !maps.Equal(before, after) {
		t.Errorf("victim changed:\nbefore %v\nafter  %v", before, after)
	}
}
