package scoring

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// Mode is a way of running the samples: one of pyexec's state models, or
// the native baseline.
type Mode string

// Modes.
const (
	ModeDefault Mode = "default" // no state option: pyexec's default model (isolated since d23f195; shared interpreters before)
	ModeShared  Mode = "shared"  // pyexec.Shared(): TorchRL's service mode, one persistent __main__ per interpreter
	ModeFresh   Mode = "fresh"   // pyexec.Fresh(): a clean interpreter per call
	ModeSession Mode = "session" // a session per environment, reset after each sample
	ModeNative  Mode = "native"  // a python3 process per sample, at most PoolSize at once
	ModeTorchRL Mode = "torchrl" // TorchRL's PythonExecutorService: PoolSize persistent python3 processes, marker-and-poll protocol
)

// DefaultMemory is the memory limit of each interpreter or native process
// when Config.Memory is not set: pyexec's default.
const DefaultMemory int64 = 256 << 20

// Config is one workload: Samples answers (drawn with Seed) scored with
// InFlight environments sending at once, on PoolSize interpreters (or
// native processes), each sample with Timeout and Memory.
type Config struct {
	Samples  int
	InFlight int
	PoolSize int
	Timeout  time.Duration
	Seed     uint64
	Python   string // native interpreter for ModeNative and ModeTorchRL (default "python3")
	Memory   int64  // bytes per interpreter or native process (0: DefaultMemory)
	// YieldAfter is the sandbox pools' pyexec.Options.YieldAfter (0: its default).
	YieldAfter time.Duration
}

// python is the native interpreter.
func (c Config) python() string {
	if c.Python != "" {
		return c.Python
	}
	return "python3"
}

// memory is the memory limit in force.
func (c Config) memory() int64 {
	if c.Memory > 0 {
		return c.Memory
	}
	return DefaultMemory
}

// DefaultConfig is issue 7's workload: 600 samples, 128 in flight, a pool
// of 32, 2 s each.
func DefaultConfig() Config {
	return Config{Samples: 600, InFlight: 128, PoolSize: 32, Timeout: 2 * time.Second, Seed: 7, Python: "python3", Memory: DefaultMemory}
}

// Outcome is how one sample went.
type Outcome struct {
	Answer  Answer
	Got     Verdict
	Success bool   // TorchRL's flag as the runner reported it
	Failure string // pyexec's failure reason ("" natively)
	Stderr  string // the last line of stderr, to tell why a verdict was wrong
	// Latency is from the sample's submission to its result, queueing
	// included. Overshoot is, for a timed-out sample, how long after its
	// deadline it returned, counted from where the runner starts the
	// deadline (pyexec: the start of Result.Duration; native: the process's
	// start).
	Latency   time.Duration
	Overshoot time.Duration
	Err       error // an error instead of a result (pyexec: Execute's error)
	// Dead is set by the TorchRL baseline when the sample landed on a
	// process that had exited, which TorchRL never replaces: it answers
	// "Process not initialized or terminated" at once.
	Dead bool
}

// scoreFunc scores one answer for environment env (0 to InFlight-1).
type scoreFunc func(ctx context.Context, env int, a Answer) Outcome

// Run scores samples in mode and reports the figures. Sandhost modes and
// ModeTorchRL start a pool of cfg.PoolSize interpreters (or processes)
// first, not counted in the figures, and close it after.
func Run(ctx context.Context, cfg Config, mode Mode, samples []Answer) (Report, error) {
	switch mode {
	case ModeNative:
		return report(mode, cfg, drive(ctx, cfg.InFlight, samples, nativeScorer(cfg))), nil
	case ModeTorchRL:
		pool, err := startTorchRLPool(ctx, cfg)
		if err != nil {
			return Report{}, err
		}
		defer pool.close()
		return report(mode, cfg, drive(ctx, cfg.InFlight, samples, pool.score)), nil
	}
	opts := pyexec.Options{Size: cfg.PoolSize, Timeout: cfg.Timeout, MemoryLimit: cfg.memory(), YieldAfter: cfg.YieldAfter}
	if mode == ModeSession {
		opts.MaxSessions = cfg.InFlight
	}
	pool, err := pyexec.NewPool(ctx, opts)
	if err != nil {
		return Report{}, fmt.Errorf("scoring: start a pool for %s: %w", mode, err)
	}
	defer pool.Close()
	score, err := poolScorer(pool, mode, cfg)
	if err != nil {
		return Report{}, err
	}
	return report(mode, cfg, drive(ctx, cfg.InFlight, samples, score)), nil
}

// drive runs samples on inFlight environments, each sending its next
// sample as soon as its last one returned, as RL environments do.
func drive(ctx context.Context, inFlight int, samples []Answer, score scoreFunc) run {
	outcomes := make([]Outcome, len(samples))
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for env := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(samples) {
					return
				}
				outcomes[i] = score(ctx, env, samples[i])
			}
		}()
	}
	wg.Wait()
	return run{outcomes: outcomes, wall: time.Since(t0)}
}

// run is what drive measured.
type run struct {
	outcomes []Outcome
	wall     time.Duration
}

// poolScorer scores with pool.Execute in a pyexec state model.
func poolScorer(pool *pyexec.Pool, mode Mode, cfg Config) (scoreFunc, error) {
	var sessionOf func(env int) string
	switch mode {
	case ModeDefault, ModeShared, ModeFresh:
	case ModeSession:
		sessionOf = func(env int) string { return fmt.Sprintf("env-%d", env) }
	default:
		return nil, fmt.Errorf("scoring: unknown mode %q", mode)
	}
	return func(ctx context.Context, env int, a Answer) Outcome {
		opts := []pyexec.ExecOption{pyexec.WithTimeout(cfg.Timeout)}
		switch {
		case mode == ModeShared:
			opts = append(opts, pyexec.Shared())
		case mode == ModeFresh:
			opts = append(opts, pyexec.Fresh())
		case sessionOf != nil:
			opts = append(opts, pyexec.InSession(sessionOf(env)))
		}
		t0 := time.Now()
		res, err := pool.Execute(ctx, a.Code, opts...)
		o := Outcome{Answer: a, Latency: time.Since(t0), Err: err}
		if sessionOf != nil {
			pool.ResetSession(sessionOf(env)) // each sample starts clean
		}
		if err != nil {
			return o
		}
		o.Got, o.Success, o.Failure, o.Stderr = verdictOf(res), res.Success, string(res.Failure), lastLine(res.Stderr)
		if o.Got == Timeout {
			// Duration starts where pyexec starts the deadline (the call,
			// or the start of running once the timeout leaves the queue
			// out).
			o.Overshoot = res.Duration - cfg.Timeout
		}
		return o
	}, nil
}

// verdictOf scores a pyexec result: Pass when the code ran to the end
// (sys.exit(0) included), whatever it printed on stderr.
func verdictOf(res pyexec.Result) Verdict {
	switch res.Failure {
	case pyexec.FailNone:
		return Pass
	case pyexec.FailExit:
		if res.ReturnCode == 0 {
			return Pass
		}
		return Fail
	case pyexec.FailTimeout, pyexec.FailQueued:
		return Timeout
	default:
		return Fail
	}
}
