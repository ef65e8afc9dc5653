//go:build unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lookPath finds the command name (without a slash) as execvp(3) finds
// it for env(1), so that `restel run` runs what `env` runs and fails with
// the same status where env fails:
//
//   - PATH is the environment's, which the child inherits; unset, it is
//     defaultPath. An empty entry (a leading, trailing or doubled colon,
//     or PATH set but empty) means the current directory, and so does
//     ".": the command found there runs (os/exec would refuse it).
//   - Each directory is tried in order. A file that exists but cannot be
//     executed (no execute permission, a directory, a directory on the
//     way the user may not search) is passed over, and remembered: when
//     nothing later is found, the error is EACCES (status 126).
//   - Otherwise the error is the last entry's: ENOENT (not found, 127), or
//     ENOTDIR for an entry naming a file (126, as env reports it).
//   - Any other error (a loop of symbolic links, a name too long) ends
//     the search, as it ends execvp's.
//
// The name returned contains a slash ("./cmd" for one in the current
// directory), so that os/exec runs it without a search of its own.
func lookPath(name string) (string, error) {
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	return searchPath(name, path)
}

// searchPath is lookPath's search of name in path.
func searchPath(name, path string) (string, error) {
	if name == "" {
		return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
	}
	var last error = syscall.ENOENT
	eacces := false
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		cand := dir + "/" + name
		err := executable(cand)
		if err == nil {
			return cand, nil
		}
		switch {
		case errors.Is(err, syscall.EACCES):
			eacces = true
		case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENOTDIR),
			errors.Is(err, syscall.ESTALE), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ETIMEDOUT):
			last = err
		default:
			return "", &exec.Error{Name: name, Err: err}
		}
	}
	if eacces {
		last = syscall.EACCES
	}
	if errors.Is(last, syscall.ENOENT) {
		last = exec.ErrNotFound
	}
	return "", &exec.Error{Name: name, Err: last}
}

// executable reports whether execve(2) would find file executable: a
// file (not a directory) the user may execute. The error is the errno
// execve would fail with.
func executable(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	if !fi.Mode().IsRegular() {
		return syscall.EACCES
	}
	for {
		err := unix.Faccessat(unix.AT_FDCWD, file, unix.X_OK, unix.AT_EACCESS)
		if err != unix.EINTR {
			return err
		}
	}
}
