//go:build linux

package fusetest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serverC is a pass-through FUSE server over the directory $HANG_BASE:
// getattr, readlink, readdir, open and read go to the same path under it,
// except that read() of a path listed in $HANG_PATHS (colon-separated,
// each starting with "/", relative to the mount) blocks forever. direct_io
// keeps the page cache out of the way, so every read reaches the server.
// When the kernel has initialized the connection, init() writes one byte
// to descriptor 3: the mount is ready.
const serverC = `#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base, *hang;

static void real(char *out, const char *p) { snprintf(out, 4096, "%s%s", base, p); }

static int hangs(const char *p) {
	size_t n = strlen(p);
	for (const char *h = hang; *h;) {
		const char *e = strchr(h, ':');
		size_t m = e ? (size_t)(e - h) : strlen(h);
		if (m == n && strncmp(h, p, n) == 0) return 1;
		if (!e) break;
		h = e + 1;
	}
	return 0;
}

static void *fs_init(struct fuse_conn_info *c, struct fuse_config *cfg) {
	(void)c;
	cfg->direct_io = 1;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	(void)!write(3, "r", 1);
	close(3);
	return NULL;
}

static int fs_getattr(const char *p, struct stat *st, struct fuse_file_info *fi) {
	(void)fi;
	char r[4096]; real(r, p);
	return lstat(r, st) ? -errno : 0;
}

static int fs_readlink(const char *p, char *buf, size_t size) {
	char r[4096]; real(r, p);
	ssize_t n = readlink(r, buf, size - 1);
	if (n < 0) return -errno;
	buf[n] = 0;
	return 0;
}

static int fs_readdir(const char *p, void *buf, fuse_fill_dir_t fill, off_t off,
		struct fuse_file_info *fi, enum fuse_readdir_flags fl) {
	(void)off; (void)fi; (void)fl;
	char r[4096]; real(r, p);
	DIR *d = opendir(r);
	if (!d) return -errno;
	for (struct dirent *e; (e = readdir(d));) fill(buf, e->d_name, NULL, 0, 0);
	closedir(d);
	return 0;
}

static int fs_open(const char *p, struct fuse_file_info *fi) {
	char r[4096]; real(r, p);
	int fd = open(r, O_RDONLY);
	if (fd < 0) return -errno;
	fi->fh = fd;
	fi->direct_io = 1;
	return 0;
}

static int fs_read(const char *p, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
	if (hangs(p)) for (;;) pause();
	ssize_t n = pread(fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static int fs_release(const char *p, struct fuse_file_info *fi) { (void)p; close(fi->fh); return 0; }

static const struct fuse_operations ops = {
	.init = fs_init, .getattr = fs_getattr, .readlink = fs_readlink,
	.readdir = fs_readdir, .open = fs_open, .read = fs_read, .release = fs_release,
};

int main(int argc, char **argv) {
	base = getenv("HANG_BASE");
	hang = getenv("HANG_PATHS");
	if (!base || !hang) return 2;
	return fuse_main(argc, argv, &ops, NULL);
}
`

// Mount is a mounted server.
type Mount struct {
	// Dir is the mount point: the backing directory's tree, seen through
	// the server.
	Dir string

	cmd      *exec.Cmd
	once     sync.Once
	watchdog *time.Timer
	stopped  atomic.Bool
}

// Stopped reports whether the server has been stopped (by Stop, or by the
// watchdog).
func (m *Mount) Stopped() bool { return m.stopped.Load() }

// watchdog is how long a mount may live: a test that hangs on it (the
// defect it exists to catch) is released by the server's end rather than
// leaving the server and the mount behind when the test binary is killed.
const watchdog = 2 * time.Minute

// build compiles the server into dir.
func build(dir string) (string, error) {
	src := filepath.Join(dir, "hang.c")
	if err := os.WriteFile(src, []byte(serverC), 0o600); err != nil {
		return "", err
	}
	flags, err := exec.Command("pkg-config", "fuse3", "--cflags", "--libs").Output()
	if err != nil {
		return "", errors.New("pkg-config fuse3: " + err.Error() + " (install libfuse3-dev and pkg-config)")
	}
	bin := filepath.Join(dir, "hang")
	args := append([]string{"-o", bin, src}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		return "", errors.New("cc: " + err.Error() + ": " + strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// New mounts the server over backing in a fresh directory and returns it.
// Reads of the paths in hang (relative to the mount, like "meminfo" or
// "self/cgroup") never return until the mount is stopped. The test is
// skipped, naming why, when a FUSE mount is impossible here. The server
// is killed and the mount detached when the test ends, pass or fail.
func New(t testing.TB, backing string, hang ...string) *Mount {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("fusetest: not root: mounting FUSE needs root here")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("fusetest: no /dev/fuse:", err)
	}
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("fusetest: no C compiler:", err)
	}
	bin, err := build(t.TempDir())
	if err != nil {
		t.Skip("fusetest: cannot build the FUSE server:", err)
	}
	abs, err := filepath.Abs(backing)
	if err != nil {
		t.Fatal(err)
	}
	paths := make([]string, len(hang))
	for i, h := range hang {
		paths[i] = "/" + strings.TrimPrefix(filepath.ToSlash(h), "/")
	}
	dir := t.TempDir()
	ready, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer ready.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-f", dir)
	cmd.Env = append(os.Environ(), "HANG_BASE="+abs, "HANG_PATHS="+strings.Join(paths, ":"))
	cmd.ExtraFiles = []*os.File{w} // descriptor 3
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Skip("fusetest: cannot start the FUSE server:", err)
	}
	w.Close()
	m := &Mount{Dir: dir, cmd: cmd}
	m.watchdog = time.AfterFunc(watchdog, m.Stop)
	t.Cleanup(m.Stop) // before TempDir's removal: cleanups run last-in first-out
	var b [1]byte
	if n, _ := ready.Read(b[:]); n != 1 {
		m.Stop()
		t.Skip("fusetest: the FUSE mount failed: ", strings.TrimSpace(stderr.String()))
	}
	return m
}

// Stop kills the server, which makes every read still waiting on it fail
// (ENOTCONN), reaps it and detaches the mount. It is safe to call more
// than once, and concurrently.
//
// Until then a read the server received is waited for by the kernel
// uninterruptibly, even by a thread that was sent SIGKILL: a process with
// such a read in flight cannot finish exiting (its leader shows as a
// zombie) until Stop.
func (m *Mount) Stop() {
	m.once.Do(func() {
		m.stopped.Store(true)
		m.watchdog.Stop()
		_ = m.cmd.Process.Kill()
		_ = m.cmd.Wait()
		if err := exec.Command("fusermount3", "-u", "-z", m.Dir).Run(); err != nil {
			_ = syscall.Unmount(m.Dir, syscall.MNT_DETACH)
		}
	})
}
