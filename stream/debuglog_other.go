//go:build !unix

package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// debugDir is a checked run-file directory. Without openat (Windows), it
// is a path: each component was checked with Lstat just before use, a best
// effort that a concurrent swap of a component can race. What private
// means is the platform's: on Windows the owner SID and the DACL (see
// debuglog_windows.go).
type debugDir struct {
	path string
}

// openDebugDir walks rel below base, creating a missing component private
// and refusing one that is a symlink (or junction), not a directory, or
// not private to the user.
func openDebugDir(base string, rel []string) (*debugDir, error) {
	path := base
	for _, name := range rel {
		path = filepath.Join(path, name)
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			if err = mkdirPrivate(path); err == nil || errors.Is(err, fs.ErrExist) {
				fi, err = os.Lstat(path)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("debug log: %w", err)
		}
		switch {
		case fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0:
			return nil, unsafeDir(path, "a symlink")
		case !fi.IsDir():
			return nil, unsafeDir(path, "not a directory")
		}
		why, err := dirPrivacy(path)
		if err != nil {
			return nil, fmt.Errorf("debug log: %w", err)
		}
		if why != "" {
			return nil, unsafeDir(path, why)
		}
	}
	return &debugDir{path: path}, nil
}

func (d *debugDir) close() {}

// key names the file name of d for the open-files set.
func (d *debugDir) key(name string) string {
	return strings.ToLower(filepath.Join(d.path, name))
}

// create makes a new run file exclusively (O_EXCL), private to the user.
func (d *debugDir) create() (*os.File, string, error) {
	for range 100 {
		name := runName(rand.Uint64())
		f, err := createPrivate(filepath.Join(d.path, name))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return f, name, nil
	}
	return nil, "", fmt.Errorf("%s: no free run file name", d.path)
}

// runs lists the regular run files of d (Lstat: links are skipped).
func (d *debugDir) runs() []runFile {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil
	}
	var runs []runFile
	for _, e := range entries {
		if !isRunName(e.Name()) {
			continue
		}
		fi, err := os.Lstat(filepath.Join(d.path, e.Name()))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		runs = append(runs, runFile{name: e.Name(), mod: fi.ModTime().UnixNano()})
	}
	return runs
}

func (d *debugDir) remove(name string) { _ = os.Remove(filepath.Join(d.path, name)) }
