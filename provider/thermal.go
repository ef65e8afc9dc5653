package provider

import "fmt"

// ThermalState is the device's thermal condition. The zero value is
// ThermalUnknown, which is reported as "normal" on the wire (docs/contract.md §2: the
// field is never null) but lets providers and the host-push API tell "no
// reading" from "a reading of normal".
type ThermalState uint8

// Thermal states in severity order.
const (
	ThermalUnknown ThermalState = iota
	ThermalNormal
	ThermalWarm
	ThermalHot
	ThermalCritical
)

var thermalNames = [...]string{"unknown", "normal", "warm", "hot", "critical"}

// String returns the state's name: the wire label of a known state, and
// "unknown" for ThermalUnknown (written "normal" on the wire).
func (t ThermalState) String() string {
	if int(t) < len(thermalNames) {
		return thermalNames[t]
	}
	return fmt.Sprintf("ThermalState(%d)", uint8(t))
}

// WireLabel returns the label written on the wire: String for the known
// states, and "normal" for ThermalUnknown and for a value no constant
// names (it is no reading), so that a misbehaving provider cannot put an
// enum string outside docs/contract.md §2 on the wire.
func (t ThermalState) WireLabel() string {
	if !t.Known() {
		return thermalNames[ThermalNormal]
	}
	return thermalNames[t]
}

// Known reports whether t is a real reading.
func (t ThermalState) Known() bool { return t != ThermalUnknown && t <= ThermalCritical }

// ParseThermalState parses a wire label: normal, warm, hot or critical.
func ParseThermalState(s string) (ThermalState, error) {
	switch s {
	case "normal":
		return ThermalNormal, nil
	case "warm":
		return ThermalWarm, nil
	case "hot":
		return ThermalHot, nil
	case "critical":
		return ThermalCritical, nil
	}
	return ThermalUnknown, fmt.Errorf("%w: thermal state %q (want normal, warm, hot or critical)", ErrInvalid, s)
}

// Worst returns the more severe of t and u:
// critical > hot > warm > normal > unknown.
func (t ThermalState) Worst(u ThermalState) ThermalState {
	if u > t {
		return u
	}
	return t
}

// ThermalFromCelsius maps a temperature with no device limits to a state by
// the fixed bands of docs/contract.md §2: below 60 °C normal, [60, 70) warm, [70, 80)
// hot, 80 and above critical.
func ThermalFromCelsius(c float64) ThermalState {
	switch {
	case c >= 80:
		return ThermalCritical
	case c >= 70:
		return ThermalHot
	case c >= 60:
		return ThermalWarm
	default:
		return ThermalNormal
	}
}
