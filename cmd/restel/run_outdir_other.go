//go:build !unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
)

// fileID identifies a file (os.SameFile).
type fileID struct{ fi fs.FileInfo }

func (a fileID) same(b fileID) bool { return a.fi != nil && b.fi != nil && os.SameFile(a.fi, b.fi) }

func idOf(fi fs.FileInfo) fileID { return fileID{fi} }

// outDir is the directory of --out's file. Without openat here, every
// operation goes through its path; inPlace still checks it is the
// directory found before the child started.
type outDir struct {
	path string
	id   fileID
}

func openOutDir(path string) (*outDir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrInvalid}
	}
	return &outDir{path: path, id: idOf(fi)}, nil
}

func (d *outDir) openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(filepath.Join(d.path, name), flag, perm)
}

func (d *outDir) lstat(name string) (fileID, bool, error) {
	fi, err := os.Lstat(filepath.Join(d.path, name))
	if err != nil {
		return fileID{}, false, err
	}
	return idOf(fi), fi.Mode().IsRegular(), nil
}

func (d *outDir) rename(from, to string) error {
	return os.Rename(filepath.Join(d.path, from), filepath.Join(d.path, to))
}

func (d *outDir) remove(name string) error { return os.Remove(filepath.Join(d.path, name)) }

func (d *outDir) inPlace() bool {
	fi, err := os.Stat(d.path)
	return err == nil && fi.IsDir() && idOf(fi).same(d.id)
}

func (d *outDir) close() {}
