//go:build windows

package windows

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	win "golang.org/x/sys/windows"
)

// pdh.dll is loaded once per process from the system directory and never
// freed; golang.org/x/sys/windows has no wrappers for it.
var (
	pdh                              = win.NewLazySystemDLL("pdh.dll")
	procPdhOpenQueryW                = pdh.NewProc("PdhOpenQueryW")
	procPdhAddEnglishCounterW        = pdh.NewProc("PdhAddEnglishCounterW")
	procPdhCollectQueryData          = pdh.NewProc("PdhCollectQueryData")
	procPdhGetFormattedCounterArrayW = pdh.NewProc("PdhGetFormattedCounterArrayW")
	procPdhCloseQuery                = pdh.NewProc("PdhCloseQuery")
)

// PDH_STATUS values (pdhmsg.h) and formats (pdh.h).
const (
	pdhMoreData           = 0x800007D2 // PDH_MORE_DATA
	pdhNoData             = 0x800007D5 // PDH_NO_DATA
	pdhCStatusNoObject    = 0xC0000BB8 // PDH_CSTATUS_NO_OBJECT
	pdhCStatusNoCounter   = 0xC0000BB9 // PDH_CSTATUS_NO_COUNTER
	pdhCStatusBadCounter  = 0xC0000BC0 // PDH_CSTATUS_BAD_COUNTERNAME
	pdhFmtDouble          = 0x00000200 // PDH_FMT_DOUBLE
	pdhFmtNoCap100        = 0x00008000 // PDH_FMT_NOCAP100
	pdhMaxArrayBytes      = 16 << 20
	pdhArrayAttempts      = 3
	pdhFormattedArrayKind = pdhFmtDouble | pdhFmtNoCap100
)

// pdhStatus is a PDH_STATUS other than ERROR_SUCCESS.
type pdhStatus uint32

func (s pdhStatus) Error() string { return fmt.Sprintf("PDH_STATUS 0x%08X", uint32(s)) }

// pdhQuery is a PDH query holding the GPU counters, kept open between
// collections.
type pdhQuery struct {
	query    uintptr
	counters [len(gpuCounterPaths)]uintptr
	buf      []uint64 // the counter arrays, 8-aligned
}

// openGPUCounters opens a query (PdhOpenQueryW) and adds the GPU counters
// (PdhAddEnglishCounterW). A system without them gives errNoGPUCounters.
func openGPUCounters() (gpuCounters, error) {
	for _, p := range []*win.LazyProc{procPdhOpenQueryW, procPdhAddEnglishCounterW, procPdhCollectQueryData,
		procPdhGetFormattedCounterArrayW, procPdhCloseQuery} {
		if err := find(p); err != nil {
			return nil, err
		}
	}
	q := &pdhQuery{}
	r, _, _ := syscall.SyscallN(procPdhOpenQueryW.Addr(), 0, 0, uintptr(unsafe.Pointer(&q.query)))
	if r != 0 {
		return nil, fmt.Errorf("PdhOpenQueryW: %w", pdhStatus(r))
	}
	for i, path := range gpuCounterPaths {
		p, err := syscall.UTF16PtrFromString(path)
		if err != nil {
			_ = q.close()
			return nil, err
		}
		r, _, _ := syscall.SyscallN(procPdhAddEnglishCounterW.Addr(), q.query,
			uintptr(unsafe.Pointer(p)), 0, uintptr(unsafe.Pointer(&q.counters[i])))
		if r != 0 {
			_ = q.close()
			switch r {
			case pdhCStatusNoObject, pdhCStatusNoCounter, pdhCStatusBadCounter:
				return nil, fmt.Errorf("%w: %s: %w", errNoGPUCounters, path, pdhStatus(r))
			}
			return nil, fmt.Errorf("PdhAddEnglishCounterW(%s): %w", path, pdhStatus(r))
		}
	}
	return q, nil
}

// collect calls PdhCollectQueryData and reads each counter's array.
func (q *pdhQuery) collect() (gpuSample, error) {
	var s gpuSample
	r, _, _ := syscall.SyscallN(procPdhCollectQueryData.Addr(), q.query)
	switch r {
	case 0:
	case pdhNoData: // no instance of any counter: no adapter
		return s, nil
	default:
		return s, pdhStatus(r)
	}
	out := [...]*[]counterItem{&s.Engine, &s.AdapterDedicated, &s.AdapterShared, &s.ProcessDedicated, &s.ProcessShared}
	for i, c := range q.counters {
		*out[i], s.Err[i] = q.array(c)
	}
	return s, nil
}

// array calls PdhGetFormattedCounterArrayW(PDH_FMT_DOUBLE|PDH_FMT_NOCAP100)
// on one counter: once for the size, then into q.buf (again when the
// instances grew in between).
func (q *pdhQuery) array(counter uintptr) ([]counterItem, error) {
	for range pdhArrayAttempts {
		var size, count uint32
		r, _, _ := syscall.SyscallN(procPdhGetFormattedCounterArrayW.Addr(), counter, pdhFormattedArrayKind,
			uintptr(unsafe.Pointer(&size)), uintptr(unsafe.Pointer(&count)), 0)
		switch r {
		case 0:
			return nil, nil // no instance
		case pdhMoreData:
		default:
			return nil, pdhStatus(r)
		}
		if size == 0 || size > pdhMaxArrayBytes {
			return nil, fmt.Errorf("PdhGetFormattedCounterArrayW: %d-byte array", size)
		}
		if need := (int(size) + 7) / 8; len(q.buf) < need {
			q.buf = make([]uint64, need)
		}
		size = uint32(len(q.buf) * 8)
		r, _, _ = syscall.SyscallN(procPdhGetFormattedCounterArrayW.Addr(), counter, pdhFormattedArrayKind,
			uintptr(unsafe.Pointer(&size)), uintptr(unsafe.Pointer(&count)), uintptr(unsafe.Pointer(&q.buf[0])))
		switch r {
		case 0:
			b := unsafe.Slice((*byte)(unsafe.Pointer(&q.buf[0])), len(q.buf)*8)
			return decodeCounterArray(b, bufAddr(b), count, int(unsafe.Sizeof(uintptr(0))))
		case pdhMoreData:
			continue
		default:
			return nil, pdhStatus(r)
		}
	}
	return nil, errors.New("PdhGetFormattedCounterArrayW: instances kept growing")
}

// close calls PdhCloseQuery, which also removes the counters.
func (q *pdhQuery) close() error {
	if q.query == 0 {
		return nil
	}
	r, _, _ := syscall.SyscallN(procPdhCloseQuery.Addr(), q.query)
	q.query = 0
	if r != 0 {
		return fmt.Errorf("PdhCloseQuery: %w", pdhStatus(r))
	}
	return nil
}
