package pyexec

import (
	"context"
	"fmt"
)

// execShared runs code in whichever shared interpreter is free first
// (TorchRL's service mode); waiting callers are served in FIFO order and
// give up at their deadline.
func (p *Pool) execShared(ctx context.Context, req Request) (Result, error) {
	if p.isClosed() {
		return Result{}, ErrClosed
	}
	var it *interp
	select {
	case it = <-p.idle:
	case <-p.ctx.Done():
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{Stderr: fmt.Sprintf("No interpreter became free within %v (pool of %d busy)\n", req.Timeout, p.opts.Size),
			ReturnCode: -1, Failure: FailQueued}, nil
	}
	res, keep := p.run(ctx, req, it)
	if keep && p.isClosed() { // Close has drained the pool already
		it.close()
	} else if keep {
		p.idle <- it
	} else {
		it.close()
		p.replaceShared()
	}
	return res, nil
}
