//go:build unix

package main

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileID identifies a file: its device and inode.
type fileID struct{ dev, ino uint64 }

func (a fileID) same(b fileID) bool { return a == b }

func idOf(fi fs.FileInfo) fileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} //nolint:unconvert // types differ by OS
}

// outDir is the directory of --out's file, opened once before the child
// starts; every later operation on the file is relative to it (openat,
// fstatat, renameat, unlinkat), so a directory swapped on the path
// meanwhile is never followed.
type outDir struct {
	fd   int
	path string // as resolved, checked again by inPlace
	id   fileID
}

func openOutDir(path string) (*outDir, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Open(path, dirOpenFlag|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return &outDir{fd: fd, path: path, id: statID(&st)}, nil
}

func statID(st *unix.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} //nolint:unconvert // types differ by OS
}

// openFile opens name in d without following a symbolic link there
// (ELOOP) and without blocking should it have become a FIFO.
func (d *outDir) openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(d.fd, name, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, uint32(perm))
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	// Writes to a regular file never block; clear O_NONBLOCK so that os
	// treats it as the ordinary file it is.
	if err := unix.SetNonblock(fd, false); err != nil {
		_ = unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// lstat returns the identity of name in d, not following a symbolic
// link, and whether it is a regular file.
func (d *outDir) lstat(name string) (fileID, bool, error) {
	var st unix.Stat_t
	_, err := retryEINTR(func() (int, error) {
		return 0, unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return fileID{}, false, err
	}
	return statID(&st), uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG, nil //nolint:unconvert // types differ by OS
}

func (d *outDir) rename(from, to string) error {
	return unix.Renameat(d.fd, from, d.fd, to)
}

func (d *outDir) remove(name string) error {
	return unix.Unlinkat(d.fd, name, 0)
}

// inPlace reports whether d's path still leads to d (a directory on the
// path swapped or moved meanwhile makes it lead elsewhere).
func (d *outDir) inPlace() bool {
	fi, err := os.Stat(d.path)
	return err == nil && fi.IsDir() && idOf(fi).same(d.id)
}

func (d *outDir) close() { _ = unix.Close(d.fd) }

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}
