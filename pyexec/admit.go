package pyexec

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A call waits for a run slot, then runs. The pool has Size slots, so Size
// is the number of interpreters running at once in every state model: on a
// machine with few cores, more at once only makes each slower and pushes
// quick calls past their deadlines. The time waited and the time run are
// told apart (Result.Queued and Result.Duration), and the call's timeout
// covers the run only unless the call asks for it to cover both.

// call is one call on its way through the pool.
type call struct {
	req  Request
	came time.Time // Run was called
	ran  time.Time // it got its run slot; zero while queued
}

// admit waits for a run slot, in turn, until ctx ends. It returns the
// context the call runs under (the call's timeout from now, or from when
// it came for TimeoutCoversQueue, which ctx then already carries) and done,
// which frees the slot.
func (p *Pool) admit(ctx context.Context, c *call) (context.Context, func(), error) {
	if _, err := p.gate.get(ctx); err != nil {
		return nil, nil, err
	}
	c.ran = time.Now()
	runCtx, cancel := context.WithTimeout(ctx, c.req.Timeout)
	return runCtx, func() {
		cancel()
		p.gate.put(struct{}{})
	}, nil
}

// notAdmitted is the outcome of a call that never got a run slot: ErrClosed,
// or a result with failure "queued".
func (p *Pool) notAdmitted(c *call, err error) (Result, error) {
	if errors.Is(err, ErrClosed) {
		return Result{}, err
	}
	return p.queued(c), nil
}

func (p *Pool) queued(c *call) Result {
	return Result{Stderr: fmt.Sprintf("No interpreter became free within %v (pool of %d busy)\n",
		time.Since(c.came).Round(time.Millisecond), p.opts.Size), ReturnCode: -1, Failure: FailQueued}
}

// noInterpreter is the outcome of a call that had its slot but no
// interpreter to run in: the pool closed, the call's deadline passed while
// one was made or freed (failure "timeout", or "queued" when it came from a
// queue), or none could be made (failure "crash"). Never an error but
// ErrClosed: a caller always gets a result with a reason.
func (p *Pool) noInterpreter(ctx context.Context, c *call, err error) (Result, error) {
	switch {
	case errors.Is(err, ErrClosed) || p.isClosed():
		return Result{}, ErrClosed
	case ctx.Err() != nil:
		return Result{Stderr: fmt.Sprintf("Code execution timed out after %v while its interpreter was made\n", c.req.Timeout),
			ReturnCode: -1, Failure: FailTimeout}, nil
	default:
		return Result{Stderr: fmt.Sprintf("Error: no interpreter could be made (%v)\n", err),
			ReturnCode: -1, Failure: FailCrash}, nil
	}
}
