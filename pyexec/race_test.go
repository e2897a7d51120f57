//go:build race

package pyexec_test

// underRace: the race detector slows guest and host code several times.
const underRace = true
