//go:build !windows

package windows

// openGPUCounters has no PDH to open off Windows (New fails there first).
func openGPUCounters() (gpuCounters, error) { return nil, errNoGPUCounters }
