package darwin

import (
	"errors"
	"fmt"

	"github.com/restel/restel/provider"
)

// kernReturn is a Mach kern_return_t other than KERN_SUCCESS
// (<mach/kern_return.h>).
type kernReturn int32

func (k kernReturn) Error() string {
	switch k {
	case 4:
		return "kern_return_t 4 (KERN_INVALID_ARGUMENT)"
	case 5:
		return "kern_return_t 5 (KERN_FAILURE)"
	}
	return fmt.Sprintf("kern_return_t %d", int32(k))
}

// notifyStatus is a notify(3) status other than NOTIFY_STATUS_OK
// (<notify.h>).
type notifyStatus uint32

func (n notifyStatus) Error() string {
	switch n {
	case 1:
		return "notify status 1 (NOTIFY_STATUS_INVALID_NAME)"
	case 2:
		return "notify status 2 (NOTIFY_STATUS_INVALID_TOKEN)"
	case 1000000:
		return "notify status 1000000 (NOTIFY_STATUS_FAILED)"
	}
	return fmt.Sprintf("notify status %d", uint32(n))
}

// errNoSymbol is wrapped when a library function could not be resolved: the
// signal is unavailable on this OS version.
var errNoSymbol = fmt.Errorf("%w: library function not found: %w", provider.ErrUnavailable, errors.ErrUnsupported)

// errNoPurego is returned by every library call in a CGO_ENABLED=0 iOS
// build, where purego cannot be used.
var errNoPurego = fmt.Errorf("%w: libSystem calls need cgo on iOS (purego): %w", provider.ErrUnavailable, errors.ErrUnsupported)

// errNoIOKit is returned by the battery walk on iOS, where the IOKit power
// source API is not available: the host app pushes the battery level.
var errNoIOKit = fmt.Errorf("%w: no IOKit power sources on iOS; the host pushes the battery level: %w", provider.ErrUnavailable, errors.ErrUnsupported)
