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

// A guest that would not be pinned (a call that does not yield, started
// beside fewer running guests than CPUs) is never lowered: at the host's
// priority it notices its deadline as soon as the caller's goroutine would
// run to return. Such a call runs on the caller's goroutine: the two
// switches between goroutines each wake another thread, which cost a
// shared call 27-30 -> 43-48 us on a quiet 2-core VM, and an empty one
// 30 -> 65 us with a core busy elsewhere (RATIONALE "Calls the cores have
// room for run on the caller's goroutine").

// execBounded is it.exec, returning when ctx ends even if the guest has
// not stopped yet (but for a call the cores have room for, run here as
// above). Then it.stopping is set: it closes once the guest has
// stopped, and until then nothing may use or close the interpreter (see
// afterStop). The guest goes below the host's priority once it has run a
// while, yields the cores to shorter calls once it has run long, and may
// then step aside (see yield.go).
func (it *interp) execBounded(ctx context.Context, y *yielder, stepAside func() bool, code string, capBytes int, isolate bool) (harnessResult, error) {
	g := &guestThread{stepAside: stepAside}
	if y.enterInline(g) {
		out, err := it.exec(ctx, code, capBytes, isolate)
		y.leave(g)
		return out, err
	}
	type outcome struct {
		out harnessResult
		err error
	}
	done := make(chan outcome, 1)
	stopped := make(chan struct{})
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
