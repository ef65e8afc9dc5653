package headroom

import (
	"math"

	"github.com/restel/restel/provider"
)

// Limit kinds, as [CPULimit.By] and [MemLimit.By] name them. A cgroup or
// cpuset limit is named with its path as /proc/<pid>/cgroup shows it
// ("cgroup:/kubepods/pod1"); an accelerator with its device name
// ("gpu:card0").
const (
	ByHost     = "host"
	ByAffinity = "affinity"
)

// CgroupBy names a cgroup CPU-quota or memory limit at path.
func CgroupBy(path string) string { return "cgroup:" + path }

// CpusetBy names a cgroup cpuset at path.
func CpusetBy(path string) string { return "cpuset:" + path }

// GPUBy names an accelerator's device memory.
func GPUBy(name string) string { return "gpu:" + name }

// CPULimit is one constraint on the CPUs a process may use: the host's
// online CPUs, its affinity mask, a cpuset, or a cgroup's CPU quota
// (quota ÷ period, a fraction: 850000/100000 is 8.5 CPUs).
type CPULimit = provider.CPULimit

// EffectiveCPUs returns the tightest of limits: the fewest CPUs, the
// first listed on a tie (readers list cgroup quotas from the process's
// own cgroup up to the root, then cpusets, the affinity mask and the
// host last, so a tie names the most specific cause). A limit that does
// not restrict anything — as many CPUs as the host has, or more — never
// binds: the host is named instead. A limit that is not a positive
// finite number is skipped. ok is false when no limit is usable.
func EffectiveCPUs(limits []CPULimit) (best CPULimit, ok bool) {
	host := math.Inf(1)
	for _, l := range limits {
		if l.By == ByHost && l.CPUs > 0 && l.CPUs < host {
			host = l.CPUs
		}
	}
	for _, l := range limits {
		if !(l.CPUs > 0) || math.IsInf(l.CPUs, 0) || (l.By != ByHost && l.CPUs >= host) {
			continue
		}
		if !ok || l.CPUs < best.CPUs {
			best, ok = l, true
		}
	}
	return best, ok
}

// Quota returns the CPUs a CFS quota allows: quota ÷ period, both in the
// same unit (µs for cgroup v1 cfs_quota_us/cfs_period_us and v2 cpu.max).
// ok is false for a quota or period that does not describe a limit: zero
// or negative (v1's -1 is "no limit"), or a ratio that is not finite.
func Quota(quota, period int64) (cpus float64, ok bool) {
	if quota <= 0 || period <= 0 {
		return 0, false
	}
	cpus = float64(quota) / float64(period)
	if math.IsInf(cpus, 0) || math.IsNaN(cpus) {
		return 0, false
	}
	return cpus, true
}

// ThrottleCounts are a cgroup's cumulative CFS period counters (cpu.stat
// nr_periods and nr_throttled, cgroup v1 and v2 alike).
type ThrottleCounts = provider.ThrottleCounts

// ThrottledRatio returns the share of enforcement periods in which the
// cgroup was throttled between two readings, in [0, 1]. ok is false when
// the readings come from different cgroups (the process moved), no period
// elapsed, a counter went backwards (the counters were reset), or more
// periods were throttled than elapsed.
func ThrottledRatio(prev, cur ThrottleCounts) (ratio float64, ok bool) {
	if prev.By != cur.By || cur.Periods <= prev.Periods || cur.Throttled < prev.Throttled {
		return 0, false
	}
	dp, dt := cur.Periods-prev.Periods, cur.Throttled-prev.Throttled
	if dt > dp {
		return 0, false
	}
	return float64(dt) / float64(dp), true
}
