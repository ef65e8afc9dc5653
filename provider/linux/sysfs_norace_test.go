//go:build !race

package linux

// raceEnabled: see sysfs_race_test.go.
const raceEnabled = false
