//go:build !darwin && !dragonfly && !freebsd && !linux && !netbsd && !openbsd && !solaris && !windows

package main

import (
	"errors"
	"os"
)

// startKeys is not supported here; watch ends on SIGINT or SIGTERM.
func startKeys(*os.File, func()) (stop, reapply func(), err error) {
	return nil, nil, errors.ErrUnsupported
}
