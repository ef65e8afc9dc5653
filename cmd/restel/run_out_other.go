//go:build !unix

package main

import (
	"io/fs"
	"os"
	"time"
)

// fifoWait is unused where there are no FIFOs in the file system.
const fifoWait = 0

// canWrite cannot check without opening here: the open at commit reports
// a refusal.
func canWrite(string) error { return nil }

// owner is a file's hard-link count (owners are not kept here).
type owner struct{ links uint64 }

func ownerOf(fs.FileInfo) owner { return owner{} }

// keepOwner has no owner to keep here.
func keepOwner(*os.File, owner) bool { return true }

// openFIFO opens path for writing (no FIFOs in the file system here).
func openFIFO(path string, _ time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY, 0)
}
