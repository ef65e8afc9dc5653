package linux

import (
	"fmt"
	"io/fs"
	"syscall"

	"github.com/restel/restel/provider"
)

// The errors of a file that is not what a kernel pseudo file system holds.
// Each wraps errNotRegular (and provider.ErrInvalid); they are values, so
// the same fault on every refresh reuses one error and does not allocate.
var (
	errNotRegular = fmt.Errorf("%w: not a regular file", provider.ErrInvalid)
	errIsDir      = fmt.Errorf("%w (a directory)", errNotRegular)
	errIsFIFO     = fmt.Errorf("%w (a named pipe)", errNotRegular)
	errIsDevice   = fmt.Errorf("%w (a device)", errNotRegular)
	errIsSocket   = fmt.Errorf("%w (a socket)", errNotRegular)
	errIsOther    = fmt.Errorf("%w (an irregular file)", errNotRegular)
	// errTooLarge: a file read whole filled maxReadBytes. No pseudo-file
	// restel reads whole comes near it.
	errTooLarge = fmt.Errorf("%w: larger than %d bytes", provider.ErrInvalid, maxReadBytes)
	// errAttrTooLarge: an attribute filled the whole read buffer; the
	// kernel formats every attribute restel reads into less than a page.
	errAttrTooLarge = fmt.Errorf("%w: larger than %d bytes", provider.ErrInvalid, maxAttrBytes-1)
)

// notRegular returns nil for a regular file's type bits (fs.FileMode.Type)
// and otherwise the error naming what the file is.
func notRegular(t fs.FileMode) error {
	switch {
	case t&fs.ModeType == 0:
		return nil
	case t&fs.ModeDir != 0:
		return errIsDir
	case t&fs.ModeNamedPipe != 0:
		return errIsFIFO
	case t&fs.ModeDevice != 0:
		return errIsDevice
	case t&fs.ModeSocket != 0:
		return errIsSocket
	}
	return errIsOther
}

// sameCause reports whether two causes of a failed open or read are the
// same fault, so the error built for the first can be reused: equal
// errnos, or the same sentinel of this package.
func sameCause(a, b error) bool {
	if ea, ok := a.(syscall.Errno); ok {
		eb, ok := b.(syscall.Errno)
		return ok && ea == eb
	}
	if ga, ok := a.(*guardErr); ok {
		return ga == b
	}
	switch a {
	case errIsDir, errIsFIFO, errIsDevice, errIsSocket, errIsOther, errTooLarge, errAttrTooLarge:
		return a == b
	}
	return false
}
