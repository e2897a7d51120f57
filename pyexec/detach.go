package pyexec

import (
	"context"
	"fmt"

	"github.com/sandhost/sandhost/sandbox"
)

// A guest stops at its deadline only once its thread runs again to notice:
// with 32 interpreters on 2 cores that took up to ~120 ms (quiet machine)
// and 440 ms (loaded), and the promise is that a call returns within
// 100 ms of its deadline. So the guest runs on a goroutine of its own and
// the caller returns at the deadline; the interpreter, which is discarded
// after a timeout anyway, keeps its run slot until its guest has stopped
// (Size still bounds what runs), and is closed only then.

// execBounded is it.exec, returning when ctx ends even if the guest has
// not stopped yet. Then it.stopping is set: it closes once the guest has
// stopped, and until then nothing may use or close the interpreter (see
// afterStop). The guest goes below the host's priority once it has run a
// while, yields the cores to shorter calls once it has run long, and may
// then step aside (see yield.go).
func (it *interp) execBounded(ctx context.Context, y *yielder, stepAside func() bool, code string, capBytes int, isolate bool) (harnessResult, error) {
	type outcome struct {
		out harnessResult
		err error
	}
	done := make(chan outcome, 1)
	stopped := make(chan struct{})
	g := &guestThread{stepAside: stepAside}
	go func() {
		defer close(stopped)
		y.enter(g)
		out, err := it.exec(ctx, code, capBytes, isolate)
		y.leave(g)
		done <- outcome{out, err}
	}()
	select {
	case o := <-done:
		return o.out, o.err
	case <-ctx.Done():
		select {
		case o := <-done: // finished as the deadline came: its own outcome
			return o.out, o.err
		default:
		}
		// Off the caller's path: the watch loop may hold y's lock, and
		// waiting for it made calls return up to 72 ms late.
		go y.raise(g)
		it.stopping = stopped
		return harnessResult{}, fmt.Errorf("%w: %w", sandbox.ErrDeadline, context.Cause(ctx))
	}
}

// afterStop runs f once it's guest has stopped: at once when it is not
// running, else in the background (or, once the pool is closed, after
// waiting here).
func (p *Pool) afterStop(it *interp, f func()) {
	if it == nil || it.stopping == nil {
		f()
		return
	}
	stopping := it.stopping
	wait := func() {
		<-stopping
		f()
	}
	if !p.background(wait) {
		wait()
	}
}
