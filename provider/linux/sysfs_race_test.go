//go:build race

package linux

// raceEnabled: the race detector instruments unix.Read, which moves stack
// buffers to the heap; allocation tests skip under it.
const raceEnabled = true
