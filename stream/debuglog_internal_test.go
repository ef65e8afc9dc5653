package stream

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestSplitDebugDir(t *testing.T) {
	sep := string(filepath.Separator)
	root := filepath.VolumeName(t.TempDir()) + sep
	cache := filepath.Join(root, "home", "u", ".cache")
	for _, tc := range []struct {
		dir, cache string
		base       string
		rel        []string
		bad        bool
	}{
		{filepath.Join(cache, "restel", "resource-debug"), cache, cache, []string{"restel", "resource-debug"}, false},
		{filepath.Join(cache, "restel", "resource-debug") + sep, cache, cache, []string{"restel", "resource-debug"}, false},
		{filepath.Join(cache, "restel"), cache + sep, cache, []string{"restel"}, false},
		{filepath.Join(cache, "restel", "a", "b"), cache, cache, []string{"restel", "a", "b"}, false},
		// Elsewhere in the cache dir, the caller's directories are theirs.
		{filepath.Join(cache, "app", "debug"), cache, filepath.Join(cache, "app"), []string{"debug"}, false},
		{filepath.Join(cache, "restelx"), cache, cache, []string{"restelx"}, false},
		// Outside the cache dir (or none known): only dir itself is restel's.
		{filepath.Join(root, "var", "debug"), cache, filepath.Join(root, "var"), []string{"debug"}, false},
		{filepath.Join(root, "home", "u", ".cachex", "d"), cache, filepath.Join(root, "home", "u", ".cachex"), []string{"d"}, false},
		{filepath.Join(cache, "restel", "resource-debug"), "", filepath.Join(cache, "restel"), []string{"resource-debug"}, false},
		{filepath.Join(cache, "restel", "resource-debug"), "relative", filepath.Join(cache, "restel"), []string{"resource-debug"}, false},
		// The cache dir itself is checked as restel's when it is the target.
		{cache, cache, filepath.Join(root, "home", "u"), []string{".cache"}, false},
		{root, cache, "", nil, true},
	} {
		base, rel, err := splitDebugDir(tc.dir, tc.cache)
		if (err != nil) != tc.bad || base != tc.base || !slices.Equal(rel, tc.rel) {
			t.Errorf("splitDebugDir(%q, %q) = %q, %q, %v; want %q, %q, error %v", tc.dir, tc.cache, base, rel, err, tc.base, tc.rel, tc.bad)
		}
	}
}

func TestIsRunName(t *testing.T) {
	for name, want := range map[string]bool{
		"run-abc.ndjson":   true,
		"run-1.ndjson":     true,
		"run-.ndjson":      false,
		"run-abc.ndjson~":  false,
		"run-abc.json":     false,
		"xrun-a.ndjson":    false,
		"notes.txt":        false,
		`run-a\b.ndjson`:   false,
		"":                 false,
		runName(0):         true,
		runName(1<<64 - 1): true,
	} {
		if got := isRunName(name); got != want {
			t.Errorf("isRunName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPruneVictims(t *testing.T) {
	runs := func() []runFile {
		return []runFile{{"run-c.ndjson", 3}, {"run-a.ndjson", 1}, {"run-b2.ndjson", 2}, {"run-b1.ndjson", 2}}
	}
	for _, tc := range []struct {
		keep int
		want []string
	}{
		{4, nil},
		{10, nil},
		{3, []string{"run-a.ndjson"}},
		{1, []string{"run-a.ndjson", "run-b1.ndjson", "run-b2.ndjson"}},
		{0, []string{"run-a.ndjson", "run-b1.ndjson", "run-b2.ndjson", "run-c.ndjson"}},
		{-1, []string{"run-a.ndjson", "run-b1.ndjson", "run-b2.ndjson", "run-c.ndjson"}},
	} {
		var got []string
		for _, r := range pruneVictims(runs(), tc.keep) {
			got = append(got, r.name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("keep %d: prune %v, want %v", tc.keep, got, tc.want)
		}
	}
}

func TestDirUnsafe(t *testing.T) {
	for _, tc := range []struct {
		uid  uint64
		perm uint32
		euid int
		want string
	}{
		{1000, 0o700, 1000, ""},
		{0, 0o700, 0, ""},
		{1000, 0o500, 1000, ""},
		{65534, 0o700, 0, "owned by uid 65534, not 0"},
		{0, 0o777, 1000, "owned by uid 0, not 1000"},
		{1000, 0o770, 1000, "mode 770 is open to group or others (want 700)"},
		{1000, 0o701, 1000, "mode 701 is open to group or others (want 700)"},
		{1000, 0o1777, 1000, "mode 1777 is open to group or others (want 700)"},
	} {
		if got := dirUnsafe(tc.uid, tc.perm, tc.euid); got != tc.want {
			t.Errorf("dirUnsafe(%d, %o, %d) = %q, want %q", tc.uid, tc.perm, tc.euid, got, tc.want)
		}
	}
}
