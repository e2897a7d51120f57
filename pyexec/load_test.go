package pyexec_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// runAll runs n calls at once and returns their results and when each was
// made.
func runAll(t *testing.T, p *pyexec.Pool, n int, code string, opts ...pyexec.ExecOption) ([]pyexec.Result, []time.Time) {
	t.Helper()
	res, came := make([]pyexec.Result, n), make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			came[i] = time.Now()
			r, err := p.Execute(ctx, code, opts...)
			if err != nil {
				t.Errorf("call %d: Execute returned an error, not a result: %v", i, err)
			}
			res[i] = r
		})
	}
	wg.Wait()
	return res, came
}

// Fresh calls share the pool's concurrency: no more than Size run at once
// (each call's run is [came+Queued, +Duration]; at the middle of each, at
// most Size runs are under way).
func TestFreshCallsRunAtMostSizeAtOnce(t *testing.T) {
	const size, n = 2, 6
	p := newPool(t, pyexec.Options{Size: size})
	res, came := runAll(t, p, n, "import time; time.sleep(0.3)", pyexec.Fresh())
	type span struct{ from, to time.Time }
	spans := make([]span, n)
	for i, r := range res {
		if !r.Passed {
			t.Fatalf("call %d: %+v", i, r)
		}
		from := came[i].Add(r.Queued)
		spans[i] = span{from, from.Add(r.Duration)}
	}
	for i, s := range spans {
		mid := s.from.Add(s.to.Sub(s.from) / 2)
		at := 0
		for _, o := range spans {
			if !mid.Before(o.from) && mid.Before(o.to) {
				at++
			}
		}
		if at > size {
			t.Fatalf("%d fresh calls ran at once (at the middle of call %d) on a pool of %d", at, i, size)
		}
	}
}

// Under load (6 calls per run slot, all of them looping) every call times
// out, at its own deadline counted from when it started running: the time
// it ran stays within a margin of its timeout, and the wait for a slot is
// reported apart, as Queued. At most Size run in the slots, and in the
// isolated model as many again once they stand aside (YieldAfter), none
// when that is off. The
// margin is for -race on a loaded 2-core machine; the promise (100 ms) is
// measured by bench/scoring.
func TestDeadlinesHoldUnderLoad(t *testing.T) {
	const size, n, timeout, margin = 4, 24, 300 * time.Millisecond, time.Second
	for _, mode := range []struct {
		name string
		opt  pyexec.ExecOption
	}{{"fresh", pyexec.Fresh()}, {"isolated", pyexec.WithTimeout(timeout)} /* the default: no option */, {"shared", pyexec.Shared()}} {
		for _, yield := range []time.Duration{-1, 0} {
			t.Run(fmt.Sprintf("%s/yield-after=%v", mode.name, yield), func(t *testing.T) {
				p := newPool(t, pyexec.Options{Size: size, YieldAfter: yield})
				res, _ := runAll(t, p, n, "while True: pass", pyexec.WithTimeout(timeout), mode.opt)
				var queued int
				for i, r := range res {
					if r.Failure != pyexec.FailTimeout || r.Passed {
						t.Fatalf("call %d: %+v", i, r)
					}
					if r.Duration < timeout || r.Duration > timeout+margin {
						t.Errorf("call %d ran %v for a timeout of %v", i, r.Duration, timeout)
					}
					if r.Queued > timeout {
						queued++
					}
				}
				atOnce := size
				if yield >= 0 && mode.name == "isolated" {
					atOnce = 2 * size
				}
				if queued < n-atOnce*2 {
					t.Errorf("only %d of %d calls queued longer than a timeout: were more than %d running at once?", queued, n, atOnce)
				}
			})
		}
	}
}

// A call always gets a result: a deadline that passes while its fresh
// interpreter is being made is a timeout, not an Execute error.
func TestDeadlineWhileMakingAnInterpreterIsAResult(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 4})
	res, _ := runAll(t, p, 12, "print(1)", pyexec.Fresh(), pyexec.WithTimeout(time.Microsecond))
	for i, r := range res {
		if r.Failure != pyexec.FailTimeout || r.ReturnCode != -1 {
			t.Errorf("call %d: %+v", i, r)
		}
	}
}

// Time spent waiting for an interpreter is not the code's: a quick call
// that waited longer than its timeout still runs and passes, and reports
// the wait as Queued. With TimeoutCoversQueue it gives up ("queued").
func TestQueuedTimeIsNotTheCodesTimeout(t *testing.T) {
	const timeout = 100 * time.Millisecond
	p := newPool(t, pyexec.Options{Size: 1})
	busy := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "import time; time.sleep(1)")
		busy <- r
	}()
	quick, covered := make(chan pyexec.Result, 1), make(chan pyexec.Result, 1)
	pyexec.WaitFor(t, "the long call to run", func() bool {
		r, _ := p.Execute(ctx, "pass", pyexec.WithTimeout(time.Millisecond), pyexec.TimeoutCoversQueue())
		return r.Failure == pyexec.FailQueued
	})
	go func() { r, _ := p.Execute(ctx, "print('quick')", pyexec.WithTimeout(timeout)); quick <- r }()
	go func() {
		r, _ := p.Execute(ctx, "print('quick')", pyexec.WithTimeout(timeout), pyexec.TimeoutCoversQueue())
		covered <- r
	}()
	if r := <-busy; !r.Passed {
		t.Fatalf("the long call: %+v", r)
	}
	c := <-covered
	if c.Failure != pyexec.FailQueued || c.Queued < timeout || c.Duration != 0 {
		t.Fatalf("timeout covering the queue: %+v", c)
	}
	q := <-quick
	if !q.Passed || q.Stdout != "quick\n" || q.Queued <= timeout {
		t.Fatalf("a quick call queued for longer than its timeout: %+v (want it run and passed, queued > %v)", q, timeout)
	}
}
