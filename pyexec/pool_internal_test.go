package pyexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// gatedPool is a pool of one shared interpreter, held by a call that waits
// (inside Python) until the test opens the gate: a file appearing in a
// read-only mount. Calls made meanwhile queue.
type gatedPool struct {
	*Pool
	gate string
	held chan heldResult
}

type heldResult struct {
	r   Result
	err error
}

// startPool starts a pool with opts, closed when the test or benchmark
// ends.
func startPool(tb testing.TB, opts Options) *Pool {
	tb.Helper()
	p, err := NewPool(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

func newGatedPool(t *testing.T) *gatedPool {
	t.Helper()
	dir := t.TempDir()
	p, err := NewPool(context.Background(), Options{Size: 1, Timeout: time.Minute,
		Mounts: []sandbox.Mount{{HostDir: dir, GuestPath: "/gate"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	g := &gatedPool{Pool: p, gate: filepath.Join(dir, "open"), held: make(chan heldResult, 1)}
	go func() {
		r, err := p.Execute(context.Background(), "import os, time\norder = []\nwhile not os.path.exists('/gate/open'): time.sleep(0.002)", Shared())
		g.held <- heldResult{r, err}
	}()
	waitFor(t, "the call to hold the interpreter", func() bool {
		p.gate.mu.Lock()
		defer p.gate.mu.Unlock()
		return len(p.gate.free) == 0
	})
	return g
}

// open lets the holding call finish.
func (g *gatedPool) open(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(g.gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if h := <-g.held; !h.r.Success || h.err != nil {
		t.Fatalf("the holding call: %+v %v", h.r, h.err)
	}
}

// Shared calls that queue are run in the order they came.
func TestQueuedSharedCallsRunInOrder(t *testing.T) {
	g := newGatedPool(t)
	const n = 5
	done := make(chan Result, n)
	for i := range n {
		go func() {
			r, _ := g.Execute(context.Background(), fmt.Sprintf("order.append(%d)", i), Shared())
			done <- r
		}()
		waitFor(t, "the call to queue", func() bool { return g.Pool.gate.waiters() == i+1 })
	}
	g.open(t)
	for range n {
		if r := <-done; !r.Success {
			t.Fatalf("queued call: %+v", r)
		}
	}
	if r, _ := g.Execute(context.Background(), "print(order)", Shared()); r.Stdout != "[0, 1, 2, 3, 4]\n" {
		t.Fatalf("calls ran in the order %q, want [0, 1, 2, 3, 4]", r.Stdout)
	}
}

// A call whose timeout covers the wait and whose deadline passes while it
// is queued returns at its deadline with failure "queued", never runs, and
// costs the shared interpreter nothing (its state is kept).
func TestDeadlinePassesWhileQueued(t *testing.T) {
	g := newGatedPool(t)
	const timeout = 200 * time.Millisecond
	t0 := time.Now()
	r, err := g.Execute(context.Background(), "order.append('late')", WithTimeout(timeout), TimeoutCoversQueue(), Shared())
	elapsed := time.Since(t0)
	if err != nil || r.Failure != FailQueued || r.ReturnCode != -1 {
		t.Fatalf("queued past its deadline: %+v %v", r, err)
	}
	if elapsed < timeout {
		t.Fatalf("gave up after %v, before its deadline of %v", elapsed, timeout)
	}
	g.open(t) // only now is an interpreter free: the call above returned on its own
	if r.Queued < timeout || r.Duration != 0 {
		t.Fatalf("queued %v, ran %v: want the whole wait as queued and no run", r.Queued, r.Duration)
	}
	if r, _ := g.Execute(context.Background(), "print(order)", Shared()); r.Stdout != "[]\n" {
		t.Fatalf("shared state after the queued call: %+v (want it kept, and the call not run)", r)
	}
}

// The pool keeps Spares clean interpreters ready, and makes new ones as
// fresh calls and sessions take them.
func TestSparesAreKeptReady(t *testing.T) {
	p, err := NewPool(context.Background(), Options{Size: 1, Spares: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ready := func() bool { return p.Spares() == 3 }
	waitFor(t, "3 spares", ready)
	for _, opt := range []ExecOption{Fresh(), InSession("s")} {
		if r, _ := p.Execute(context.Background(), "print(1)", opt); !r.Success {
			t.Fatalf("call: %+v", r)
		}
	}
	waitFor(t, "3 spares again", ready)
}

// Close stops the calls in flight and the queued ones (both return
// ErrClosed), then frees everything.
func TestCloseStopsCallsInFlight(t *testing.T) {
	g := newGatedPool(t)
	queued := make(chan error, 1)
	go func() {
		_, err := g.Execute(context.Background(), "pass")
		queued <- err
	}()
	waitFor(t, "the call to queue", func() bool { return g.Pool.gate.waiters() == 1 })
	t0 := time.Now()
	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The holding call's deadline is a minute away: Close stopped it
	// rather than waiting for it (which takes milliseconds; 10 s is for a
	// loaded machine under -race).
	if d := time.Since(t0); d > 10*time.Second {
		t.Fatalf("Close took %v: it waited for the call in flight instead of stopping it", d)
	}
	if h := <-g.held; !errors.Is(h.err, ErrClosed) {
		t.Fatalf("call in flight at Close: %+v %v", h.r, h.err)
	}
	if err := <-queued; !errors.Is(err, ErrClosed) {
		t.Fatalf("queued call at Close: %v", err)
	}
}

// An isolated call that changed nothing a later call would see keeps its
// interpreter (the model's cost is a pooled call's); one that did gets a
// new one.
func TestIsolatedInterpreterReplacedOnlyWhenChanged(t *testing.T) {
	p, err := NewPool(context.Background(), Options{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	only := func() *interp {
		t.Helper()
		var it *interp
		waitFor(t, "the interpreter back in the pool", func() bool {
			p.isolated.mu.Lock()
			defer p.isolated.mu.Unlock()
			if len(p.isolated.free) == 1 {
				it = p.isolated.free[0]
			}
			return it != nil
		})
		return it
	}
	for _, code := range []string{"x = 1 + 1", "import math\ndef f(n): return math.isqrt(n)\nassert f(17) == 4\nlist = [3, 1, 4]",
		"raise ValueError('no')", "import re, json, collections\nprint(json.dumps(re.findall('a', 'aa')))",
		"undefined_name", "assert 0 is 0", "assert 0 is 0", // a NameError's suggestion, a SyntaxWarning twice
		// Its own classes and functions changed (namedtuple sets its class's
		// __module__), a cycle with a finalizer collected at its end.
		"import collections\nclass A: pass\nA.x = 1\ndef f(a=1): pass\nf.__defaults__ = (2,)\nP = collections.namedtuple('P', 'x y')\n" +
			"class B:\n    def __del__(self): pass\nb = B(); b.me = b"} {
		before := only()
		r, _ := p.Execute(context.Background(), code)
		if r.Failure == FailCrash {
			t.Fatalf("%q: %+v", code, r)
		}
		if strings.Contains(code, " is 0") && !strings.Contains(r.Stderr, "SyntaxWarning") {
			t.Errorf("%q: no SyntaxWarning, as a fresh interpreter prints (stderr %q)", code, r.Stderr)
		}
		if only() != before {
			t.Errorf("%q changed nothing, but its interpreter was replaced", code)
		}
	}
	before := only()
	p.Execute(context.Background(), "import math; math.pi = 3")
	if only() == before {
		t.Errorf("a call that monkey-patched math kept its interpreter")
	}
}

// The caller's context bounds the wait even when the timeout counts the run
// only: a call whose context ends while it is queued returns "queued",
// without running.
func TestCallersContextBoundsTheWait(t *testing.T) {
	g := newGatedPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, err := g.Execute(ctx, "order.append('late')", Shared())
	if err != nil || r.Failure != FailQueued || r.Duration != 0 || r.Queued < 100*time.Millisecond {
		t.Fatalf("queued past its context's deadline: %+v %v", r, err)
	}
	g.open(t)
	if r, _ := g.Execute(context.Background(), "print(order)", Shared()); r.Stdout != "[]\n" {
		t.Fatalf("shared state after the queued call: %+v (want the call not run)", r)
	}
}

// A call that has its run slot but waits for an interpreter (the one it
// would use is being replaced) is queued, not running: its timeout starts
// once it has an interpreter, so a replacement the pool is slow to make is
// not scored as the code's timeout.
func TestWaitForAReplacementIsNotTheCodesTimeout(t *testing.T) {
	ctx := context.Background()
	p := startPool(t, Options{Size: 1, Spares: 0})
	it, err := p.isolated.get(ctx) // as if it were being replaced
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 50 * time.Millisecond
	got := make(chan Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "print('ran')", WithTimeout(timeout))
		got <- r
	}()
	waitFor(t, "the call to wait for an interpreter", func() bool { return p.isolated.waiters() == 1 })
	<-time.After(3 * timeout) // the replacement takes longer than the call's timeout
	p.isolated.put(it)
	r := <-got
	if !r.Passed || r.Stdout != "ran\n" {
		t.Fatalf("call that waited for its interpreter: %+v", r)
	}
	if r.Queued < 3*timeout {
		t.Fatalf("queued %v: the wait for the interpreter is not counted as queued", r.Queued)
	}
}
