package pyexec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A call waits for a run slot, then for an interpreter, then runs. The
// pool has Size slots, so Size is the number of interpreters running at
// once in every state model: on a machine with few cores, more at once only
// makes each slower and pushes quick calls past their deadlines. The time
// waited (for a slot, and for an interpreter to be freed or made) and the
// time run are told apart (Result.Queued and Result.Duration), and the
// call's timeout covers the run only unless the call asks for it to cover
// both: making a replacement interpreter is the pool's work, not the code's.

// call is one call on its way through the pool.
type call struct {
	req  Request
	came time.Time // Run was called
	ran  time.Time // it had its slot and interpreter; zero while queued

	mu    sync.Mutex
	aside func() // frees its slot (and has its interpreter replaced) when it steps aside; nil: it may not
	stood bool   // it stepped aside
	over  bool   // its run ended: too late to step aside
	// asiding closes once the step aside under way has done its work
	// (nil: none began); the call's end waits for it.
	asiding chan struct{}
}

// mayStepAside lets the call give up its run slot once it has run long
// (see yield.go): aside frees the slot and does what the state model needs
// for the calls that come next.
func (c *call) mayStepAside(aside func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aside = aside
}

// stepAside frees the call's run slot, if it may and its run has not
// ended; it says whether it did.
func (c *call) stepAside() bool {
	c.mu.Lock()
	if c.aside == nil || c.over || c.stood {
		c.mu.Unlock()
		return false
	}
	c.stood = true
	c.asiding = make(chan struct{})
	aside := c.aside
	c.mu.Unlock()
	// Outside the lock, which the call's end takes to decide what to do
	// with its interpreter; only then does it wait for this.
	defer close(c.asiding)
	aside()
	return true
}

// ended marks the run over and says whether the call stepped aside, once
// a step aside under way is done: once the call has ended, Close may close
// the spares and the queue that the step aside takes from and hands to.
func (c *call) ended() (stoodAside bool) {
	c.mu.Lock()
	c.over = true
	stood, asiding := c.stood, c.asiding
	c.mu.Unlock()
	if asiding != nil {
		<-asiding
	}
	return stood
}

// admit waits for a run slot, in turn, until ctx ends, and returns done,
// which frees it (once, however often it is called).
func (p *Pool) admit(ctx context.Context) (done func(), err error) {
	if _, err := p.gate.get(ctx); err != nil {
		return nil, err
	}
	return sync.OnceFunc(func() { p.gate.put(struct{}{}) }), nil
}

// begin starts the run of a call that has its slot and interpreter: the
// context it runs under ends at its timeout from now (for
// TimeoutCoversQueue, ctx already ends at the timeout from when it came).
func (p *Pool) begin(ctx context.Context, c *call) (context.Context, context.CancelFunc) {
	c.ran = time.Now()
	return context.WithTimeoutCause(ctx, c.req.Timeout, errCallTimeout)
}

// notAdmitted is the outcome of a call that never got a run slot: ErrClosed,
// or a result with failure "queued".
func (p *Pool) notAdmitted(ctx context.Context, c *call, err error) (Result, error) {
	if errors.Is(err, ErrClosed) {
		return Result{}, err
	}
	return p.queued(ctx, c), nil
}

func (p *Pool) queued(ctx context.Context, c *call) Result {
	waited := time.Since(c.came).Round(time.Millisecond)
	why := fmt.Sprintf("No interpreter became free within %v (pool of %d busy)\n", waited, p.opts.Size)
	if cause := callerEnded(ctx); cause != nil {
		why = fmt.Sprintf("The caller's context ended (%v) after %v, before an interpreter was free (pool of %d busy)\n",
			cause, waited, p.opts.Size)
	}
	return Result{Stderr: why, ReturnCode: -1, Failure: FailQueued}
}

// The causes of the deadlines the pool sets itself, so that a call stopped
// by its caller's context (cancelled, or a deadline before the call's own)
// is told from one that ran out of its own time.
var (
	errCallTimeout  = errors.New("the call's timeout")
	errQueueTimeout = errors.New("the call's timeout, its wait included")
)

// callerEnded is why ctx ended when its caller ended it rather than the
// pool's own deadlines; nil otherwise.
func callerEnded(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, errCallTimeout) || errors.Is(cause, errQueueTimeout) {
		return nil
	}
	return cause
}

// noInterpreter is the outcome of a call that had its slot but no
// interpreter: the pool closed (ErrClosed), ctx ended while one was freed or
// made (failure "queued": the code never ran), or none could be made
// (failure "crash"). A caller always gets a result with a reason.
func (p *Pool) noInterpreter(ctx context.Context, c *call, err error) (Result, error) {
	switch {
	case errors.Is(err, ErrClosed) || p.isClosed():
		return Result{}, ErrClosed
	case ctx.Err() != nil:
		res := p.queued(ctx, c)
		res.Stderr = fmt.Sprintf("No interpreter was ready within %v (pool of %d: interpreters being replaced)\n",
			time.Since(c.came).Round(time.Millisecond), p.opts.Size)
		return res, nil
	default:
		return Result{Stderr: fmt.Sprintf("Error: no interpreter could be made (%v)\n", err),
			ReturnCode: -1, Failure: FailCrash}, nil
	}
}
