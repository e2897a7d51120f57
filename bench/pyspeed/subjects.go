package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

//go:embed workloads.py
var workloads string

// Workload is one workload's outcome in one run of workloads.py.
type Workload struct {
	Result string  `json:"result"` // repr of the value it computed
	NS     []int64 `json:"ns"`     // nanoseconds of each repetition
}

// Best is the fastest repetition: the least disturbed by other load.
func (w Workload) Best() time.Duration {
	var b int64
	for i, ns := range w.NS {
		if i == 0 || ns < b {
			b = ns
		}
	}
	return time.Duration(b)
}

// A subject runs workloads.py once and returns its outcome by workload and
// the CPU time the run took (start-up and parsing included).
type subject interface {
	Name() string
	Run(ctx context.Context, p params) (map[string]Workload, time.Duration, error)
	Close() error
}

// params are a run's parameters (workloads.py's globals).
type params struct {
	scale float64  // work per repetition, relative to the default
	reps  int      // repetitions of each workload
	only  []string // the workloads to run; none: all
	// fastest: the figures are the fastest run, not the median; cpu: they
	// are CPU time (the runner's choices; workloads.py does not see them).
	fastest, cpu bool
	partial      string // a file for the table so far, after each round

}

// program is workloads.py with its parameters set ahead of it.
func program(p params) string {
	only, _ := json.Marshal(append([]string{}, p.only...)) // [] rather than null
	return fmt.Sprintf("SCALE = %g\nRUNS = %d\nONLY = %s\n", p.scale, p.reps, only) + workloads
}

func decode(out []byte) (map[string]Workload, error) {
	var ws map[string]Workload
	if err := json.Unmarshal(out, &ws); err != nil {
		return nil, fmt.Errorf("pyspeed: workloads' output: %w (%.200q)", err, out)
	}
	return ws, nil
}

// native is a CPython executable run as a process per run.
type native struct{ name, path string }

func (n native) Name() string { return n.name }
func (n native) Close() error { return nil }

func (n native) Run(ctx context.Context, p params) (map[string]Workload, time.Duration, error) {
	cmd := exec.CommandContext(ctx, n.path, "-S", "-c", program(p))
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("pyspeed: %s: %w", n.path, err)
	}
	ws, err := decode(out)
	return ws, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

// sandboxed is a build of CPython for wasm (a python-wasm directory) run by
// the executor on one engine, in one persistent interpreter (Shared: no
// interpreter is replaced in the background while another run is timed).
type sandboxed struct {
	name string
	pool *pyexec.Pool
}

func newSandboxed(ctx context.Context, name, dir, engine string) (*sandboxed, error) {
	pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: 1, Timeout: 10 * time.Minute, PythonDir: dir, Engine: engine, NoPackages: true})
	if err != nil {
		return nil, fmt.Errorf("pyspeed: %s: %w", name, err)
	}
	return &sandboxed{name: name, pool: pool}, nil
}

func (s *sandboxed) Name() string { return s.name }
func (s *sandboxed) Close() error { return s.pool.Close() }

// Run's CPU time is this process's: the pool is its only work.
func (s *sandboxed) Run(ctx context.Context, p params) (map[string]Workload, time.Duration, error) {
	cpu0 := processCPU()
	r, err := s.pool.Execute(ctx, program(p), pyexec.Shared())
	cpu := processCPU() - cpu0
	if err != nil {
		return nil, 0, fmt.Errorf("pyspeed: %s: %w", s.name, err)
	}
	if !r.Passed {
		return nil, 0, fmt.Errorf("pyspeed: %s: workloads failed (%s): %s", s.name, r.Failure, r.Stderr)
	}
	ws, err := decode([]byte(r.Stdout))
	return ws, cpu, err
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
