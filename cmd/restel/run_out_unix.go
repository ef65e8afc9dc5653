//go:build unix

package main

import (
	"errors"
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

// openFIFO opens the FIFO path for writing without ever blocking: an
// open with O_NONBLOCK fails with ENXIO while no reader has the FIFO
// open, and is retried every fifoPoll for up to wait.
func openFIFO(path string, wait time.Duration) (*os.File, error) {
	deadline := time.Now().Add(wait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil || !errors.Is(err, syscall.ENXIO) {
			return f, err
		}
		if !time.Now().Before(deadline) {
			return nil, errors.New("FIFO has no reader")
		}
		time.Sleep(fifoPoll)
	}
}
