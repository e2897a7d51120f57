package main

import "testing"

// TestBenchRefusesUnknownModesAndScenarios: a mistyped mode or scenario is
// a usage error naming what is accepted, before anything is measured (the
// run itself is bench/harness's smoke test, through this command).
func TestBenchRefusesUnknownModesAndScenarios(t *testing.T) {
	wantUsageError(t, []string{"bench", "--mode", "fast"}, `mode "fast"`, "full, quick or smoke")
	wantUsageError(t, []string{"bench", "--scenarios", "scoring,gpu"}, `scenario "gpu"`, "registry")
	wantUsageError(t, []string{"bench", "now"}, "no arguments")
}
