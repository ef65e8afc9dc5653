package headroom

import "github.com/restel/restel/provider"

// MemLimit is one constraint on memory a new allocation can take: the
// host's available memory, a memory-limited cgroup's available memory
// (its limit less what it uses, reclaimable page cache not counted as
// used), or an accelerator's free device memory. AvailMB is in MiB.
type MemLimit = provider.MemLimit

// Usable returns the tightest of limits: the least available, the first
// listed on a tie (readers list cgroups from the process's own up to the
// root, then the host, so a tie names the most specific cause). ok is
// false when limits is empty.
func Usable(limits []MemLimit) (best MemLimit, ok bool) {
	for _, l := range limits {
		if !ok || l.AvailMB < best.AvailMB {
			best, ok = l, true
		}
	}
	return best, ok
}

// Roomiest returns the accelerator with the most free memory: a model is
// placed on one device, so the device that can take the most is the one
// that decides whether it fits. The first listed wins a tie; ok is false
// when devices is empty.
func Roomiest(devices []MemLimit) (best MemLimit, ok bool) {
	for _, d := range devices {
		if !ok || d.AvailMB > best.AvailMB {
			best, ok = d, true
		}
	}
	return best, ok
}
