//go:build race

package engine

// raceEnabled: the race detector makes the engine about ten times slower,
// so the longest tests use less text.
const raceEnabled = true
