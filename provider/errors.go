package provider

import "errors"

// Sentinel errors. Providers wrap them with %w; callers classify with
// errors.Is. Platform errors (fs.ErrNotExist, syscall.ENODATA,
// errors.ErrUnsupported, ...) are wrapped as well, never matched by string.
var (
	// ErrUnavailable: the signal has no source on this device (no battery,
	// no thermal sensor, no PSI). It is not a fault; the field is unknown.
	ErrUnavailable = errors.New("signal unavailable")
	// ErrInvalid: a value was read but is malformed or out of range.
	ErrInvalid = errors.New("invalid value")
	// ErrClosed: the provider was closed.
	ErrClosed = errors.New("provider closed")
)
