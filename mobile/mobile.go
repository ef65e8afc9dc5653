// Package mobile is restel's binding for Android and iOS hosts, built with
// `gomobile bind` (Java/Kotlin class mobile.Mobile; Objective-C/Swift
// functions prefixed Mobile). Its surface uses only types gomobile
// supports: int, int64, string and error.
//
// Mobile platforms do not let an app read the battery or thermal sensors
// itself: the host app listens to its platform's notifications and pushes
// the values here (docs/contract.md §2, host-pushed values). A pushed value wins over
// any native reading of the same field, in every snapshot, until cleared.
// CPU, memory and RSS are read natively: the Linux provider on Android
// (procfs), the darwin provider on iOS (sysctls, Mach).
//
// Everything acts on the process-wide monitor (restel.Default; a host that
// brings its own installs it with restel.SetDefault) and host state
// (restel.Host). Every call is safe from any thread,
// returns promptly and never panics into the host.
package mobile

import (
	"fmt"
	"math"
	"time"

	"github.com/restel/restel"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// target is what the bound functions act on: the process-wide monitor and
// host state. Tests point it at their own.
var target = struct {
	monitor func() *orchestrator.Monitor
	host    func() *orchestrator.HostState
}{restel.Default, restel.Host}

// SetBatteryLevel pushes the battery charge in percent (Android:
// BatteryManager EXTRA_LEVEL·100/EXTRA_SCALE; iOS: UIDevice.batteryLevel·100).
// Values above 100 are clamped to 100; a negative value (Android's -1,
// iOS's -1.0 when battery monitoring is off) means "unknown" and clears the
// pushed level.
func SetBatteryLevel(pct int) { target.host().SetBatteryLevel(pct) }

// ClearBatteryLevel withdraws the pushed battery level.
func ClearBatteryLevel() { target.host().ClearBatteryLevel() }

// SetThermalState pushes a thermal state by its wire name: "normal",
// "warm", "hot" or "critical". Any other string is an error naming it, and
// the pushed state is left as it was.
func SetThermalState(state string) error {
	s, err := provider.ParseThermalState(state)
	return pushThermal("SetThermalState", s, err)
}

// SetAndroidThermalStatus pushes Android's thermal status
// (PowerManager.getCurrentThermalStatus, API 29+): 0 none and 1 light are
// normal, 2 moderate warm, 3 severe hot, 4 critical, 5 emergency and
// 6 shutdown critical. Any other value is an error, and the pushed state is
// left as it was.
func SetAndroidThermalStatus(status int) error {
	s, err := androidThermal(status)
	return pushThermal("SetAndroidThermalStatus", s, err)
}

// SetAppleThermalState pushes the raw value of ProcessInfo.thermalState
// (iOS 11+, macOS 10.10.3+): 0 nominal is normal, 1 fair warm, 2 serious
// hot, 3 critical critical. Any other value is an error, and the pushed
// state is left as it was.
func SetAppleThermalState(state int) error {
	s, err := appleThermal(state)
	return pushThermal("SetAppleThermalState", s, err)
}

// SetAppleThermalStateName is SetAppleThermalState for hosts that pass the
// case name ("nominal", "fair", "serious", "critical"), such as
// cross-platform bridges.
func SetAppleThermalStateName(name string) error {
	s, err := appleThermalName(name)
	return pushThermal("SetAppleThermalStateName", s, err)
}

// pushThermal pushes s, or returns err (from mapping the host's value)
// naming the bound function fn and leaves the pushed state as it was.
func pushThermal(fn string, s provider.ThermalState, err error) error {
	if err != nil {
		return fmt.Errorf("mobile: %s: %w", fn, err)
	}
	target.host().SetThermalState(s)
	return nil
}

// ClearThermalState withdraws the pushed thermal state.
func ClearThermalState() { target.host().ClearThermalState() }

// SetThermalHeadroom pushes Android's own thermal headroom: now is
// PowerManager.getThermalHeadroom(0), forecast is
// getThermalHeadroom(forecastSeconds). It is used as given, until
// cleared; a NaN (Android's "cannot tell") or negative value clears it.
func SetThermalHeadroom(now, forecast float64, forecastSeconds int) {
	target.host().SetThermalHeadroom(now, forecast, time.Duration(forecastSeconds)*time.Second)
}

// ClearThermalHeadroom forgets the pushed thermal headroom.
func ClearThermalHeadroom() { target.host().ClearThermalHeadroom() }

// CurrentSnapshotJSON returns the current snapshot as its wire JSON object
// (docs/contract.md §2), no older than maxAgeMillis milliseconds; 0 or less forces a
// refresh. It never fails: a provider problem shows as null fields.
func CurrentSnapshotJSON(maxAgeMillis int64) string {
	var s provider.Snapshot
	func() {
		defer func() {
			if recover() != nil {
				s = provider.Unknown(time.Now())
			}
		}()
		s = target.monitor().CurrentSnapshot(maxAge(maxAgeMillis))
	}()
	return string(s.AppendJSON(make([]byte, 0, 192)))
}

// maxAge converts milliseconds to a duration, saturating instead of
// overflowing; negative is 0 (force a refresh).
func maxAge(ms int64) time.Duration {
	switch {
	case ms <= 0:
		return 0
	case ms > math.MaxInt64/int64(time.Millisecond):
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}

// HeadroomJSON returns what the device can still give the app, as the
// JSON object of docs/contract.md §10 (effective CPUs, usable memory,
// free accelerator memory, thermal headroom now and forecastSeconds
// ahead, at most 60), from the monitor's cached readings. It never
// fails: what cannot be read is null.
func HeadroomJSON(forecastSeconds int) string {
	var h headroom.Headroom
	func() {
		defer func() {
			if recover() != nil {
				h = headroom.Headroom{}
			}
		}()
		h = target.monitor().Headroom(time.Duration(max(forecastSeconds, 0)) * time.Second)
	}()
	return string(h.AppendJSON(make([]byte, 0, 320)))
}
