//go:build !ios

package darwin

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/restel/restel/provider"
)

const (
	coreFoundationPath = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
	ioKitPath          = "/System/Library/Frameworks/IOKit.framework/IOKit"

	cfStringEncodingUTF8 = 0x08000100 // kCFStringEncodingUTF8
	cfNumberSInt64Type   = 4          // kCFNumberSInt64Type
)

// powerLib holds the IOKit and CoreFoundation functions of the battery walk
// and the CFString keys it looks up, resolved and created once per process.
// Neither the libraries nor the keys are ever released.
type powerLib struct {
	psCopyInfo, psCopyList, psGetDescription uintptr // IOKit/ps/IOPowerSources.h

	release, arrayGetCount, arrayGetValueAtIndex, dictGetValue uintptr
	getTypeID, numberGetValue, booleanGetValue, equal          uintptr
	numberTypeID, booleanTypeID                                uintptr // CFNumberGetTypeID(), CFBooleanGetTypeID()

	// CFStrings of <IOKit/ps/IOPSKeys.h>.
	keyType, keyPresent, keyCur, keyMax, internalBattery uintptr
}

var loadPowerLib = sync.OnceValues(func() (*powerLib, error) {
	cf, iokit, sym, missing, err := openCFIOKit()
	if err != nil {
		return nil, err
	}
	l := &powerLib{
		psCopyInfo:           sym(iokit, "IOPSCopyPowerSourcesInfo"),
		psCopyList:           sym(iokit, "IOPSCopyPowerSourcesList"),
		psGetDescription:     sym(iokit, "IOPSGetPowerSourceDescription"),
		release:              sym(cf, "CFRelease"),
		arrayGetCount:        sym(cf, "CFArrayGetCount"),
		arrayGetValueAtIndex: sym(cf, "CFArrayGetValueAtIndex"),
		dictGetValue:         sym(cf, "CFDictionaryGetValue"),
		getTypeID:            sym(cf, "CFGetTypeID"),
		numberGetValue:       sym(cf, "CFNumberGetValue"),
		booleanGetValue:      sym(cf, "CFBooleanGetValue"),
		equal:                sym(cf, "CFEqual"),
	}
	numberGetTypeID := sym(cf, "CFNumberGetTypeID")
	booleanGetTypeID := sym(cf, "CFBooleanGetTypeID")
	createString := sym(cf, "CFStringCreateWithCString")
	if len(*missing) > 0 {
		return nil, fmt.Errorf("%v: %w", *missing, errNoSymbol)
	}
	l.numberTypeID, _, _ = purego.SyscallN(numberGetTypeID)
	l.booleanTypeID, _, _ = purego.SyscallN(booleanGetTypeID)
	l.keyType = cfString(createString, "Type")                    // kIOPSTypeKey
	l.keyPresent = cfString(createString, "Is Present")           // kIOPSIsPresentKey
	l.keyCur = cfString(createString, "Current Capacity")         // kIOPSCurrentCapacityKey
	l.keyMax = cfString(createString, "Max Capacity")             // kIOPSMaxCapacityKey
	l.internalBattery = cfString(createString, "InternalBattery") // kIOPSInternalBatteryType
	if l.keyType == 0 || l.keyPresent == 0 || l.keyCur == 0 || l.keyMax == 0 || l.internalBattery == 0 {
		return nil, fmt.Errorf("%w: CFStringCreateWithCString failed", provider.ErrUnavailable)
	}
	return l, nil
})

// copyPowerSources walks IOPSCopyPowerSourcesInfo /
// IOPSCopyPowerSourcesList / IOPSGetPowerSourceDescription and reads the
// keys batteryFromSources needs. It releases what it copied.
func copyPowerSources() ([]powerSource, error) {
	l, err := loadPowerLib()
	if err != nil {
		return nil, err
	}
	blob, _, _ := purego.SyscallN(l.psCopyInfo)
	if blob == 0 {
		return nil, fmt.Errorf("%w: IOPSCopyPowerSourcesInfo returned NULL", provider.ErrUnavailable)
	}
	defer purego.SyscallN(l.release, blob)
	list, _, _ := purego.SyscallN(l.psCopyList, blob)
	if list == 0 {
		return nil, fmt.Errorf("%w: IOPSCopyPowerSourcesList returned NULL", provider.ErrUnavailable)
	}
	defer purego.SyscallN(l.release, list)
	n, _, _ := purego.SyscallN(l.arrayGetCount, list)
	count := int(int64(n)) // CFIndex is signed
	if count < 0 || count > 64 {
		return nil, fmt.Errorf("%w: %d power sources", provider.ErrInvalid, count)
	}
	srcs := make([]powerSource, 0, count)
	for i := range count {
		ps, _, _ := purego.SyscallN(l.arrayGetValueAtIndex, list, uintptr(i))
		desc, _, _ := purego.SyscallN(l.psGetDescription, blob, ps) // not owned: no release
		if desc == 0 {
			continue
		}
		var s powerSource
		if typ := l.value(desc, l.keyType); typ != 0 {
			eq, _, _ := purego.SyscallN(l.equal, typ, l.internalBattery)
			s.Internal = uint8(eq) != 0
		}
		s.Present = true
		if b := l.value(desc, l.keyPresent); b != 0 && l.typeID(b) == l.booleanTypeID {
			v, _, _ := purego.SyscallN(l.booleanGetValue, b)
			s.Present = uint8(v) != 0
		}
		s.Cur, s.HasCur = l.number(desc, l.keyCur)
		s.Max, s.HasMax = l.number(desc, l.keyMax)
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// value is CFDictionaryGetValue(dict, key); the result is not owned.
func (l *powerLib) value(dict, key uintptr) uintptr {
	v, _, _ := purego.SyscallN(l.dictGetValue, dict, key)
	return v
}

func (l *powerLib) typeID(ref uintptr) uintptr {
	id, _, _ := purego.SyscallN(l.getTypeID, ref)
	return id
}

// number reads a CFNumber value as int64 (CFNumberGetValue,
// kCFNumberSInt64Type); false when the key is absent or not a number.
func (l *powerLib) number(dict, key uintptr) (int64, bool) {
	ref := l.value(dict, key)
	if ref == 0 || l.typeID(ref) != l.numberTypeID {
		return 0, false
	}
	var v int64
	ok, _, _ := purego.SyscallN(l.numberGetValue, ref, cfNumberSInt64Type, uintptr(unsafe.Pointer(&v)))
	return v, uint8(ok) != 0
}

// openCFIOKit opens CoreFoundation and IOKit and returns a symbol lookup
// that records, in *missing, each name it cannot find (a reader then
// reports all of them at once).
func openCFIOKit() (cf, iokit uintptr, sym func(h uintptr, name string) uintptr, missing *[]string, err error) {
	cf, err = purego.Dlopen(coreFoundationPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return 0, 0, nil, nil, fmt.Errorf("%w: dlopen %s: %w", provider.ErrUnavailable, coreFoundationPath, err)
	}
	iokit, err = purego.Dlopen(ioKitPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return 0, 0, nil, nil, fmt.Errorf("%w: dlopen %s: %w", provider.ErrUnavailable, ioKitPath, err)
	}
	missing = new([]string)
	sym = func(h uintptr, name string) uintptr {
		p, err := purego.Dlsym(h, name)
		if err != nil || p == 0 {
			*missing = append(*missing, name)
			return 0
		}
		return p
	}
	return cf, iokit, sym, missing, nil
}

// cfString creates, with CFStringCreateWithCString at create, the
// CFString of s in UTF-8; 0 when the call fails. The caller owns it.
func cfString(create uintptr, s string) uintptr {
	c := append([]byte(s), 0)
	r, _, _ := purego.SyscallN(create, 0, uintptr(unsafe.Pointer(&c[0])), cfStringEncodingUTF8)
	return r
}
