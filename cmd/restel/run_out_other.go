//go:build !unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// fifoWait is unused where there are no FIFOs in the file system.
const fifoWait = 0

// canWrite cannot check without opening here: the open at commit reports
// a refusal.
func canWrite(string) error { return nil }

// canCreateIn reports whether restel may create a file in dir. Without
// access(2) it checks the way the commit will: dir must be a directory,
// and a probe file is created in it and removed. A --out whose directory
// is missing or read-only is then refused before the command runs, not
// after it.
func canCreateIn(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errors.New("not a directory")
	}
	f, err := os.CreateTemp(dir, ".restel-probe-*")
	if err != nil {
		return err
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return nil
}

// owner is a file's hard-link count (owners are not kept here).
type owner struct{ links uint64 }

func ownerOf(fs.FileInfo) owner { return owner{} }

// keepOwner has no owner to keep here.
func keepOwner(*os.File, owner) bool { return true }

// openFIFO opens path for writing (no FIFOs in the file system here).
func openFIFO(path string, _ time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY, 0)
}
