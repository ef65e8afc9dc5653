//go:build race

package orchestrator

const raceEnabled = true
