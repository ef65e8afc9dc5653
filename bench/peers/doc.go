// Package peers benchmarks restel's Linux provider beside the equivalent
// calls of github.com/shirou/gopsutil/v4, in one run on one machine.
//
// It is a separate module so gopsutil never enters restel's own
// dependencies. Run it with `make bench-peers`, or:
//
//	cd bench/peers && go test -run '^$' -bench . -benchmem -count 5 | go run ./ratio
//
// The fast refresh compared is: system CPU percent since the previous call
// (/proc/stat), host memory (/proc/meminfo) and the process's resident set
// (/proc/<pid>/statm). gopsutil's equivalents are cpu.Percent(0, false),
// mem.VirtualMemory() and process.(*Process).MemoryInfo().
package peers
