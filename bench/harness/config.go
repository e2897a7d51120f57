package harness

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Mode sets how long the harness measures.
type Mode string

// Modes: full is the published run; quick about a minute here; smoke the
// smallest run that still goes through every scenario and writer (CI).
const (
	Full  Mode = "full"
	Quick Mode = "quick"
	Smoke Mode = "smoke"
)

// Scenarios are the scenario IDs, in the order they run.
var Scenarios = []string{"scoring", "python", "registry", "plugins", "memory"}

// Config is one run of the harness.
type Config struct {
	Mode Mode
	// Redis is the URL of a Redis the cross-host scenarios also run on;
	// empty: a redis-server started on a free loopback port when one is
	// installed. The embedded Redis is always measured.
	Redis string
	// OutDir receives result.json, results.md and the charts.
	OutDir string
	// Scenarios to run (IDs of Scenarios); empty: all.
	Scenarios []string
	// HostBinary is the `host` executable, started as `host serve` (the
	// other host) and `host bench --serve-echo` (the bare baseline's server).
	HostBinary string
	// Python is the system interpreter of the baselines (default
	// /usr/bin/python3, else python3 on PATH), resolved to its executable.
	Python string
	// NativePython is CPython built natively from the sources of the wasm
	// build (the same version); empty: looked for in the build tree.
	NativePython string
	// Progress receives a line per figure as it is measured (nil: none).
	Progress io.Writer
	// Command is recorded in the result as the way to run it again.
	Command string
}

// Validate checks the mode and scenario names.
func (c Config) Validate() error {
	switch c.Mode {
	case Full, Quick, Smoke:
	default:
		return fmt.Errorf("%w: mode %q (full, quick or smoke)", ErrConfig, c.Mode)
	}
	for _, s := range c.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("%w: scenario %q (one of %s)", ErrConfig, s, strings.Join(Scenarios, ", "))
		}
	}
	if c.OutDir == "" {
		return fmt.Errorf("%w: no output directory", ErrConfig)
	}
	if c.HostBinary == "" {
		return fmt.Errorf("%w: no host binary (the other host's process)", ErrConfig)
	}
	return nil
}

// wants says whether scenario id is to run.
func (c Config) wants(id string) bool {
	return len(c.Scenarios) == 0 || slices.Contains(c.Scenarios, id)
}

// sizes are the amounts of work of a mode.
type sizes struct {
	repeats int // repeated runs of each figure
	ops     int // operations per run of a fast figure (µs each)
	slowOps int // operations per run of a slow figure (ms each)
	// runBudget caps a run's time: fewer operations where the untimed
	// ones show that ops would take longer (minOps at least).
	runBudget time.Duration
	// scoring
	samples, inFlight, scorePool int
	// sustained is the samples of a longer run, sandhost's default model
	// and a process per sample only: an RL job scores for hours, and a
	// short run's figure is bound by its last timeouts (scoring.Ceiling).
	sustained int
	// registry
	services int
	// registerBudget bounds the registration of services: a deployment
	// where registering gets slower with the count stops short of services.
	registerBudget time.Duration
	getOps         int // Gets per run
	concurrency    []int
	callsPerConc   int
	// python
	envs, envPool int
	poolSizes     []int
	// memory
	idleInterps int
	sessions    []int
	nativeProcs int
}

func (m Mode) sizes() sizes {
	switch m {
	case Full:
		return sizes{repeats: 5, ops: 2000, slowOps: 40, runBudget: 3 * time.Second, samples: 600, inFlight: 128, scorePool: 32, sustained: 3000,
			services: 10000, registerBudget: time.Minute, getOps: 2000, concurrency: []int{1, 8, 32, 128}, callsPerConc: 4000,
			envs: 128, envPool: 32, poolSizes: []int{1, 2, 4, 8, 16, 32},
			idleInterps: 32, sessions: []int{32, 128, 512}, nativeProcs: 16}
	case Quick:
		return sizes{repeats: 3, ops: 300, slowOps: 8, runBudget: 2 * time.Second, samples: 40, inFlight: 16, scorePool: 4,
			services: 10000, registerBudget: 3 * time.Second, getOps: 100, concurrency: []int{1, 8, 32, 128}, callsPerConc: 300,
			envs: 32, envPool: 8, poolSizes: []int{2, 8},
			idleInterps: 8, sessions: []int{32, 128}, nativeProcs: 4}
	default: // smoke
		return sizes{repeats: 1, ops: 20, slowOps: 2, runBudget: time.Second, samples: 8, inFlight: 4, scorePool: 2, sustained: 12,
			services: 200, registerBudget: 5 * time.Second, getOps: 20, concurrency: []int{1, 8}, callsPerConc: 40,
			envs: 4, envPool: 2, poolSizes: []int{1, 2},
			idleInterps: 2, sessions: []int{2, 4}, nativeProcs: 2}
	}
}
