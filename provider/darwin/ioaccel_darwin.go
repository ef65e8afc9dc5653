//go:build !ios

package darwin

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/restel/restel/provider"
)

// ioNameSize is sizeof(io_name_t) (<device/device_types.h>: char[128]).
const ioNameSize = 128

// accelLib holds the IOKit and CoreFoundation functions of the
// IOAccelerator walk and the CFString keys it looks up, resolved and
// created once per process and never released.
type accelLib struct {
	serviceMatching, getMatchingServices, iteratorNext, objectRelease uintptr // IOKit/IOKitLib.h
	createCFProperty, objectGetClass                                  uintptr

	release, getTypeID, dictGetValue, numberGetValue uintptr // CoreFoundation
	dictTypeID, numberTypeID                         uintptr // CFDictionaryGetTypeID(), CFNumberGetTypeID()

	perfStats uintptr   // CFString "PerformanceStatistics"
	keys      []uintptr // CFStrings of accelStatKeys, in order
}

var loadAccelLib = sync.OnceValues(func() (*accelLib, error) {
	cf, iokit, sym, missing, err := openCFIOKit()
	if err != nil {
		return nil, err
	}
	l := &accelLib{
		serviceMatching:     sym(iokit, "IOServiceMatching"),
		getMatchingServices: sym(iokit, "IOServiceGetMatchingServices"),
		iteratorNext:        sym(iokit, "IOIteratorNext"),
		objectRelease:       sym(iokit, "IOObjectRelease"),
		createCFProperty:    sym(iokit, "IORegistryEntryCreateCFProperty"),
		objectGetClass:      sym(iokit, "IOObjectGetClass"),
		release:             sym(cf, "CFRelease"),
		getTypeID:           sym(cf, "CFGetTypeID"),
		dictGetValue:        sym(cf, "CFDictionaryGetValue"),
		numberGetValue:      sym(cf, "CFNumberGetValue"),
	}
	dictGetTypeID := sym(cf, "CFDictionaryGetTypeID")
	numberGetTypeID := sym(cf, "CFNumberGetTypeID")
	createString := sym(cf, "CFStringCreateWithCString")
	if len(*missing) > 0 {
		return nil, fmt.Errorf("%v: %w", *missing, errNoSymbol)
	}
	l.dictTypeID, _, _ = purego.SyscallN(dictGetTypeID)
	l.numberTypeID, _, _ = purego.SyscallN(numberGetTypeID)
	if l.perfStats = cfString(createString, "PerformanceStatistics"); l.perfStats == 0 {
		return nil, fmt.Errorf("%w: CFStringCreateWithCString failed", provider.ErrUnavailable)
	}
	for _, k := range accelStatKeys {
		ref := cfString(createString, k)
		if ref == 0 {
			return nil, fmt.Errorf("%w: CFStringCreateWithCString failed", provider.ErrUnavailable)
		}
		l.keys = append(l.keys, ref)
	}
	return l, nil
})

// copyIOAccelerators walks the IOAccelerator services
// (IOServiceGetMatchingServices(kIOMainPortDefault,
// IOServiceMatching("IOAccelerator"))): for each, its class
// (IOObjectGetClass) and the CFNumber entries of accelStatKeys in its
// "PerformanceStatistics" dictionary (IORegistryEntryCreateCFProperty).
// It releases everything it copied. No service gives an empty list and a
// nil error.
func copyIOAccelerators() ([]ioAccelerator, error) {
	l, err := loadAccelLib()
	if err != nil {
		return nil, err
	}
	cname := []byte("IOAccelerator\x00")
	matching, _, _ := purego.SyscallN(l.serviceMatching, uintptr(unsafe.Pointer(&cname[0])))
	if matching == 0 {
		return nil, fmt.Errorf("%w: IOServiceMatching returned NULL", provider.ErrUnavailable)
	}
	var iter uint32 // io_iterator_t
	// IOServiceGetMatchingServices consumes the matching dictionary.
	r, _, _ := purego.SyscallN(l.getMatchingServices, 0, matching, uintptr(unsafe.Pointer(&iter)))
	if kr := kernReturn(int32(r)); kr != 0 {
		return nil, fmt.Errorf("IOServiceGetMatchingServices: %w", kr)
	}
	defer purego.SyscallN(l.objectRelease, uintptr(iter))
	var svcs []ioAccelerator
	var class [ioNameSize]byte
	for range maxIOAccelerators {
		svc, _, _ := purego.SyscallN(l.iteratorNext, uintptr(iter))
		if uint32(svc) == 0 {
			break
		}
		var a ioAccelerator
		clear(class[:])
		if r, _, _ := purego.SyscallN(l.objectGetClass, uintptr(uint32(svc)), uintptr(unsafe.Pointer(&class[0]))); int32(r) == 0 {
			a.Class = cString(class[:])
		}
		a.Stats = l.stats(uint32(svc))
		purego.SyscallN(l.objectRelease, uintptr(uint32(svc)))
		svcs = append(svcs, a)
	}
	return svcs, nil
}

// stats reads the PerformanceStatistics entries of one service; nil when
// it has no such dictionary.
func (l *accelLib) stats(svc uint32) map[string]int64 {
	dict, _, _ := purego.SyscallN(l.createCFProperty, uintptr(svc), l.perfStats, 0, 0)
	if dict == 0 {
		return nil
	}
	defer purego.SyscallN(l.release, dict)
	if id, _, _ := purego.SyscallN(l.getTypeID, dict); id != l.dictTypeID {
		return nil
	}
	st := make(map[string]int64, len(l.keys))
	for i, key := range l.keys {
		ref, _, _ := purego.SyscallN(l.dictGetValue, dict, key)
		if ref == 0 {
			continue
		}
		if id, _, _ := purego.SyscallN(l.getTypeID, ref); id != l.numberTypeID {
			continue
		}
		var v int64
		if ok, _, _ := purego.SyscallN(l.numberGetValue, ref, cfNumberSInt64Type, uintptr(unsafe.Pointer(&v))); uint8(ok) != 0 {
			st[accelStatKeys[i]] = v
		}
	}
	return st
}
