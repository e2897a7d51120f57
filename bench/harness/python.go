package harness

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// The Python scenario's code.
const (
	tinyCode    = "x = 1 + 1"
	cpuCode     = "sum(i*i for i in range(10**6))"
	sessionCode = "n = globals().get('n', 0) + 1"
	// stepCode is an environment's step as an RL scorer runs it: an
	// import, a function and the asserts that grade it.
	stepCode = "import math\n" +
		"def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))\n" +
		"assert [n for n in range(30) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]\n"
)

// stateModel is a subject of the round-trip figures: a pyexec state model.
type stateModel struct {
	subject string
	opt     pyexec.ExecOption // nil: the default
}

// interp is a native baseline interpreter.
type interp struct{ subject, path string }

// baselinePythons are the system python3 and, when the build tree has it,
// the same CPython as the sandbox's built natively.
func (b *bench) baselinePythons(ctx context.Context) []interp {
	ps := []interp{{"python3 " + version(ctx, b.python), b.python}}
	if b.native != "" {
		ps = append(ps, interp{"python " + version(ctx, b.native) + " native build", b.native})
	}
	return ps
}

// version is an interpreter's version ("3.11.2").
func version(ctx context.Context, py string) string {
	out, err := exec.CommandContext(ctx, py, "-c", "import platform; print(platform.python_version(), end='')").Output()
	if err != nil {
		return "?"
	}
	return string(out)
}

// runPython is scenario 2: the executor's calls beside native CPython.
func runPython(ctx context.Context, b *bench, s *ScenarioRun) error {
	pys := b.baselinePythons(ctx)
	if b.native == "" {
		b.note(s, "no natively built CPython in the wasm build's tree (make python-wasm keeps it): the system python3 is the only baseline")
	}
	pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: 1, Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer pool.Close()
	ops, slow := b.sz.ops, b.sz.slowOps
	call := func(code string, opts ...pyexec.ExecOption) op {
		return func(ctx context.Context) error { return passed(pool.Execute(ctx, code, opts...)) }
	}

	// Round trips and CPU-bound code: a warm interpreter against a
	// persistent native process.
	for _, c := range []struct {
		group, code string
		n           int
		subjects    []stateModel
	}{
		{"tiny snippet round trip (" + tinyCode + ")", tinyCode, ops, []stateModel{
			{"sandhost, isolated (default)", nil}, {"sandhost, shared", pyexec.Shared()}, {"sandhost, session", pyexec.InSession("s")}}},
		{"CPU-bound (" + cpuCode + ")", cpuCode, slow, []stateModel{{"sandhost, isolated (default)", nil}}},
		{"session call (" + sessionCode + ")", sessionCode, ops, []stateModel{{"sandhost, session", pyexec.InSession("s")}}},
	} {
		for _, m := range c.subjects {
			var opts []pyexec.ExecOption
			if m.opt != nil {
				opts = append(opts, m.opt)
			}
			f, err := b.latency(ctx, Figure{Group: c.group, Subject: m.subject}, c.n, call(c.code, opts...))
			if err != nil {
				return fmt.Errorf("%s, %s: %w", c.group, m.subject, err)
			}
			b.add(s, f)
		}
		for _, py := range pys {
			l, err := startNativeLoop(py.path)
			if err != nil {
				return err
			}
			f, err := b.latency(ctx, Figure{Group: c.group, Subject: py.subject + ", persistent process", Baseline: true},
				c.n, func(context.Context) error { return l.run(c.code) })
			l.kill()
			if err != nil {
				return err
			}
			b.add(s, f)
		}
	}

	// A clean interpreter per call against a new process per call.
	group := "fresh interpreter, then " + tinyCode
	f, err := b.latency(ctx, Figure{Group: group, Subject: "sandhost, fresh"}, slow, call(tinyCode, pyexec.Fresh()))
	if err != nil {
		return err
	}
	b.add(s, f)
	for _, py := range pys {
		f, err := b.latency(ctx, Figure{Group: group, Subject: py.subject + " -S -c, a process", Baseline: true}, slow,
			func(ctx context.Context) error { return exec.CommandContext(ctx, py.path, "-S", "-c", tinyCode).Run() })
		if err != nil {
			return err
		}
		b.add(s, f)
	}

	// pydantic Monty's metric: a new interpreter and 10 calls in it, back
	// to back (as fast as the pool makes interpreters) and, as Monty
	// measures it, from a warm pool (a spare ready at each start).
	group = "fresh interpreter + 10 session calls"
	var seq atomic.Int64
	newSession := func(ctx context.Context) error {
		id := "monty-" + strconv.FormatInt(seq.Add(1), 10)
		defer pool.ResetSession(id)
		for range 10 {
			if err := passed(pool.Execute(ctx, sessionCode, pyexec.InSession(id))); err != nil {
				return err
			}
		}
		return nil
	}
	f, err = b.latency(ctx, Figure{Group: group, Subject: "sandhost, new session, back to back"}, slow, newSession)
	if err != nil {
		return err
	}
	b.add(s, f)
	f, err = b.latencyWhenReady(ctx, Figure{Group: group, Subject: "sandhost, new session from a warm pool"}, slow, spareReady(pool), newSession)
	if err != nil {
		return err
	}
	b.add(s, f)
	for _, py := range pys {
		f, err := b.latency(ctx, Figure{Group: group, Subject: py.subject + ", new persistent process", Baseline: true}, slow,
			func(context.Context) error {
				l, err := startNativeLoop(py.path)
				if err != nil {
					return err
				}
				for range 10 {
					if err := l.run(sessionCode); err != nil {
						l.kill()
						return err
					}
				}
				return l.close()
			})
		if err != nil {
			return err
		}
		b.add(s, f)
	}
	if err := poolReady(ctx, b, s, pys); err != nil {
		return err
	}
	if err := environments(ctx, b, s, pys); err != nil {
		return err
	}
	return poolScaling(ctx, b, s, pys)
}

// spareReady waits until pool has a clean interpreter ready for a new
// session.
func spareReady(pool *pyexec.Pool) op {
	return func(ctx context.Context) error {
		for pool.Spares() == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Microsecond):
			}
		}
		return nil
	}
}

// poolReady is the time a pool of envPool interpreters takes to be ready,
// against as many persistent native processes started at once.
func poolReady(ctx context.Context, b *bench, s *ScenarioRun, pys []interp) error {
	size := b.sz.envPool
	group := fmt.Sprintf("pool of %d ready", size)
	var runs []float64
	for range b.sz.repeats {
		t0 := time.Now()
		p, err := pyexec.NewPool(ctx, pyexec.Options{Size: size})
		if err != nil {
			return err
		}
		runs = append(runs, ms(time.Since(t0)))
		p.Close()
	}
	b.add(s, valueFigure(Figure{Group: group, Subject: "sandhost, pyexec.NewPool", Unit: "ms", Better: "lower", PoolSize: size}, runs))
	for _, py := range pys {
		runs = nil
		for range b.sz.repeats {
			t0 := time.Now()
			loops, err := nativeLoops(ctx, py.path, size)
			if err != nil {
				return err
			}
			runs = append(runs, ms(time.Since(t0)))
			killAll(loops)
		}
		b.add(s, valueFigure(Figure{Group: group, Subject: fmt.Sprintf("%s, %d persistent processes", py.subject, size),
			Baseline: true, Unit: "ms", Better: "lower", PoolSize: size}, runs))
	}
	return nil
}

// environments is the seed's example: envs environments, each with its
// own state (a session), sharing envPool interpreters, against one
// persistent native process per environment, of each native interpreter.
func environments(ctx context.Context, b *bench, s *ScenarioRun, pys []interp) error {
	envs, size, steps := b.sz.envs, b.sz.envPool, max(2, b.sz.ops/b.sz.envs)
	group := fmt.Sprintf("%d environments with state, %d steps each", envs, steps)
	pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: size, MaxSessions: envs, Timeout: time.Minute})
	if err != nil {
		return err
	}
	f, err := envFigure(ctx, Figure{Group: group, Subject: fmt.Sprintf("sandhost, %d sessions on %d interpreters", envs, size),
		PoolSize: size}, b.sz.repeats, envs, steps, func(ctx context.Context, env int) error {
		return passed(pool.Execute(ctx, stepCode, pyexec.InSession("env-"+strconv.Itoa(env))))
	})
	pool.Close()
	if err != nil {
		return err
	}
	b.add(s, f)
	return nativeEnvironments(ctx, b, s, pys, group, envs, steps)
}

// poolScaling is envs environments sending isolated calls to pools of
// each size in poolSizes, against envs persistent native processes of
// each native interpreter.
func poolScaling(ctx context.Context, b *bench, s *ScenarioRun, pys []interp) error {
	envs, steps := b.sz.envs, max(2, b.sz.ops/b.sz.envs)
	group := fmt.Sprintf("%d environments, isolated calls, by pool size", envs)
	for _, size := range b.sz.poolSizes {
		pool, err := pyexec.NewPool(ctx, pyexec.Options{Size: size, Timeout: time.Minute})
		if err != nil {
			return err
		}
		f, err := envFigure(ctx, Figure{Group: group, Subject: fmt.Sprintf("sandhost, pool of %d", size), PoolSize: size},
			b.sz.repeats, envs, steps, func(ctx context.Context, _ int) error { return passed(pool.Execute(ctx, stepCode)) })
		pool.Close()
		if err != nil {
			return err
		}
		b.add(s, f)
	}
	return nativeEnvironments(ctx, b, s, pys, group, envs, steps)
}

// envFigure runs repeats rounds of envs environments sending steps calls
// each, at once: calls per second, and each call's latency.
func envFigure(ctx context.Context, f Figure, repeats, envs, steps int, step func(ctx context.Context, env int) error) (*Figure, error) {
	var all []time.Duration
	for range repeats {
		lat := make([]time.Duration, envs*steps)
		errs := make([]error, envs)
		var wg sync.WaitGroup
		t0 := time.Now()
		for env := range envs {
			wg.Go(func() {
				for i := range steps {
					c0 := time.Now()
					if errs[env] = step(ctx, env); errs[env] != nil {
						return
					}
					lat[env*steps+i] = time.Since(c0)
				}
			})
		}
		wg.Wait()
		wall := time.Since(t0)
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		f.Runs = append(f.Runs, float64(envs*steps)/wall.Seconds())
		all = append(all, lat...)
	}
	f.Unit, f.Better, f.Concurrency = "calls/s", "higher", envs
	f.setLatencies(all)
	f.Median = median(f.Runs)
	return &f, nil
}

// passed is an Execute's error, or ErrFailed when the code did not pass.
func passed(r pyexec.Result, err error) error {
	if err != nil {
		return err
	}
	if !r.Passed {
		return fmt.Errorf("%w: %s %s", ErrFailed, r.Failure, r.Stderr)
	}
	return nil
}

// nativeEnvironments are the baselines of the environment figures: for
// each native interpreter, envs persistent processes, one per environment,
// each taking steps.
func nativeEnvironments(ctx context.Context, b *bench, s *ScenarioRun, pys []interp, group string, envs, steps int) error {
	for _, py := range pys {
		if err := nativeEnvironment(ctx, b, s, py, group, envs, steps); err != nil {
			return err
		}
	}
	return nil
}

// nativeEnvironment is one interpreter's baseline of nativeEnvironments.
func nativeEnvironment(ctx context.Context, b *bench, s *ScenarioRun, py interp, group string, envs, steps int) error {
	loops, err := nativeLoops(ctx, py.path, envs)
	if err != nil {
		return err
	}
	defer killAll(loops)
	f, err := envFigure(ctx, Figure{Group: group, Subject: fmt.Sprintf("%s, %d persistent processes", py.subject, envs),
		Baseline: true, PoolSize: envs}, b.sz.repeats, envs, steps, func(_ context.Context, env int) error { return loops[env].run(stepCode) })
	if err != nil {
		return err
	}
	b.add(s, f)
	return nil
}
