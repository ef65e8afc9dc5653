package provider

import "context"

// CPULimit is one constraint on the CPUs the observed process may use
// (docs/contract.md §10): the host's online CPUs, its affinity mask, a
// cpuset, or a cgroup CPU quota (quota ÷ period, a fraction). By names
// it: "host", "affinity", "cpuset:<path>" or "cgroup:<path>", the path as
// /proc/<pid>/cgroup shows it.
type CPULimit struct {
	By   string
	CPUs float64
}

// MemLimit is one constraint on the memory a new allocation can take:
// the host's available memory ("host"), or a memory-limited cgroup's
// available memory ("cgroup:<path>"; its limit less what it uses,
// reclaimable page cache not counted as used), or an accelerator's free
// device memory ("gpu:<name>"). AvailMB is in MiB.
type MemLimit struct {
	By      string
	AvailMB uint64
}

// ThrottleCounts are a cgroup's cumulative CFS period counters (cpu.stat
// nr_periods and nr_throttled); By names the cgroup they were read from,
// so a ratio is never taken across a move to another cgroup.
type ThrottleCounts struct {
	By                 string
	Periods, Throttled uint64
}

// ThermalReading is one temperature sensor's reading and the threshold
// its thermal headroom is measured against.
type ThermalReading struct {
	// Sensor names the sensor ("thermal_zone0", "hwmon1/temp2").
	Sensor string
	// Celsius is the temperature.
	Celsius float64
	// SevereC is the temperature at which the platform starts
	// throttling (thermal headroom 1.0).
	SevereC float64
}

// Capacity is what the device can still give the observed process, as
// read: the raw constraints the headroom of docs/contract.md §10 is
// computed from. Readers list limits most specific first (a cgroup
// before its parents, the host last), so a tie names the narrowest
// cause. Slices are reused across reads by the reader's caller.
type Capacity struct {
	CPULimits []CPULimit
	// Throttle are the counters of the cgroup whose CPU quota binds;
	// unknown without a quota.
	Throttle  Opt[ThrottleCounts]
	MemLimits []MemLimit
	// Sensors are the readable temperature sensors.
	Sensors []ThermalReading
	// Throttling reports throttling in progress that a thermal state may
	// not show (a cooling device holding the CPU below its maximum
	// frequency), ThrottlingBy what shows it; unknown where the platform
	// has nothing to tell.
	Throttling   Opt[bool]
	ThrottlingBy string
}

// Reset empties c, keeping its slices' storage.
func (c *Capacity) Reset() {
	*c = Capacity{
		CPULimits: c.CPULimits[:0],
		MemLimits: c.MemLimits[:0],
		Sensors:   c.Sensors[:0],
	}
}

// CapacityReader is an optional capability of a SnapshotProvider: it
// reads the constraints of docs/contract.md §10 into *c (after
// c.Reset()). Like thermal and battery readings it can be slow, so it is
// polled off the hot path on the slow-signal cadence. What cannot be read
// is left out of c; the error describes it.
type CapacityReader interface {
	Capacity(ctx context.Context, c *Capacity) error
}
