//go:build unix

package stream

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// debugDir is a verified run-file directory, held open: every later step
// (create, list, stat, unlink) goes through its descriptor, so a path
// component swapped for a symlink after the walk is never followed.
type debugDir struct {
	fd   int
	path string
	id   string // device:inode of the directory
}

// openDebugDir opens base (the caller's, symlinks followed) and walks rel
// below it one component at a time with openat(O_NOFOLLOW|O_DIRECTORY),
// creating a missing component 0700 (mkdirat) and refusing one that is a
// symlink, not a directory, not owned by the effective user, or with any
// group or other permission bit.
func openDebugDir(base string, rel []string) (*debugDir, error) {
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("debug log: %s: %w", base, err)
	}
	path := base
	euid := os.Geteuid()
	for _, name := range rel {
		path = filepath.Join(path, name)
		next, err := openComponent(fd, name, path, euid)
		unix.Close(fd)
		if err != nil {
			return nil, err
		}
		fd = next
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("debug log: %s: %w", path, err)
	}
	return &debugDir{fd: fd, path: path, id: strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(uint64(st.Ino), 10)}, nil
}

// openComponent opens name in the directory dirfd as one restel owns.
func openComponent(dirfd int, name, path string, euid int) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	created := false
	fd, err := unix.Openat(dirfd, name, flags, 0)
	if errors.Is(err, unix.ENOENT) {
		if err = unix.Mkdirat(dirfd, name, 0o700); err == nil || errors.Is(err, unix.EEXIST) {
			created = err == nil
			fd, err = unix.Openat(dirfd, name, flags, 0)
		}
	}
	if err != nil {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFLNK:
				return -1, unsafeDir(path, "a symlink")
			case unix.S_IFDIR:
			default:
				return -1, unsafeDir(path, "not a directory")
			}
		}
		return -1, fmt.Errorf("debug log: %s: %w", path, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("debug log: %s: %w", path, err)
	}
	if created && st.Uid == uint32(euid) && st.Mode&0o777 != 0o700 {
		// Ours, made a moment ago under a umask: set exactly 0700.
		if unix.Fchmod(fd, 0o700) == nil {
			st.Mode = st.Mode&^0o777 | 0o700
		}
	}
	if why := dirUnsafe(uint64(st.Uid), uint32(st.Mode)&0o7777, euid); why != "" {
		unix.Close(fd)
		return -1, unsafeDir(path, why)
	}
	return fd, nil
}

func (d *debugDir) close() { unix.Close(d.fd) }

// key names the file name of d for the open-files set.
func (d *debugDir) key(name string) string { return d.id + "/" + name }

// create makes a new run file with openat(O_CREAT|O_EXCL|O_NOFOLLOW), mode
// 0600, under a random name.
func (d *debugDir) create() (*os.File, string, error) {
	for range 100 {
		name := runName(rand.Uint64())
		fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", d.path, err)
		}
		return os.NewFile(uintptr(fd), filepath.Join(d.path, name)), name, nil
	}
	return nil, "", fmt.Errorf("%s: no free run file name", d.path)
}

// runs lists the prunable run files of d: regular files named
// run-*.ndjson owned by the effective user (fstatat without following
// symlinks).
func (d *debugDir) runs() []runFile {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), d.path)
	names, _ := f.Readdirnames(-1)
	f.Close()
	euid := uint32(os.Geteuid())
	var runs []runFile
	for _, name := range names {
		if !isRunName(name) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != euid {
			continue
		}
		sec, nsec := st.Mtim.Unix()
		runs = append(runs, runFile{name: name, mod: sec*1e9 + nsec})
	}
	return runs
}

// remove unlinks name in d (unlinkat: a name, never a path to follow).
func (d *debugDir) remove(name string) { _ = unix.Unlinkat(d.fd, name, 0) }
