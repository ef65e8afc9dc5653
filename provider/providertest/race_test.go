//go:build race

package providertest

// raceEnabled: the test binary was built with -race.
const raceEnabled = true
