//go:build unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fifoWait is how long `restel run --out FIFO` waits for a reader to open
// the FIFO once the summary is ready.
const fifoWait = 5 * time.Second

// fifoPoll is how often it tries meanwhile.
const fifoPoll = 10 * time.Millisecond

// canWrite reports, as access(2) with W_OK does, whether restel may open
// path for writing, without opening it (opening a FIFO would block).
func canWrite(path string) error {
	for {
		err := unix.Access(path, unix.W_OK)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// owner is a file's owner, group and hard-link count.
type owner struct {
	uid, gid int
	links    uint64
	known    bool
}

func ownerOf(fi fs.FileInfo) owner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return owner{}
	}
	return owner{uid: int(st.Uid), gid: int(st.Gid), links: uint64(st.Nlink), known: true}
}

// keepOwner gives tmp the owner and group of own (fchown(2), when they
// differ from tmp's) and reports whether tmp has them.
func keepOwner(tmp *os.File, own owner) bool {
	if !own.known {
		return true
	}
	fi, err := tmp.Stat()
	if err != nil {
		return false
	}
	if cur := ownerOf(fi); cur.known && cur.uid == own.uid && cur.gid == own.gid {
		return true
	}
	return tmp.Chown(own.uid, own.gid) == nil
}

// openFIFO opens the FIFO path for writing without ever blocking: an
// open with O_NONBLOCK fails with ENXIO while no reader has the FIFO
// open, and is retried every fifoPoll for up to wait.
func openFIFO(path string, wait time.Duration) (*os.File, error) {
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err == nil || !errors.Is(err, syscall.ENXIO) {
			return f, err
		}
		if !time.Now().Before(deadline) {
			return nil, errors.New("FIFO has no reader")
		}
		time.Sleep(fifoPoll)
	}
}
