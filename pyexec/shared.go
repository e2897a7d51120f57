package pyexec

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// execShared runs code in whichever shared interpreter is free first
// (TorchRL's service mode); waiting callers are served in the order they
// came and give up at their deadline without running.
func (p *Pool) execShared(ctx context.Context, req Request) (Result, error) {
	it, err := p.shared.get(ctx)
	if errors.Is(err, ErrClosed) {
		return Result{}, err
	}
	if err != nil {
		return Result{Stderr: fmt.Sprintf("No interpreter became free within %v (pool of %d busy)\n", req.Timeout, p.opts.Size),
			ReturnCode: -1, Failure: FailQueued}, nil
	}
	res, keep := p.run(ctx, req, it)
	if keep {
		p.shared.put(it)
	} else {
		p.discard(it)
		p.replaceShared()
	}
	return res, nil
}

// sharedQueue holds the shared interpreters: free ones, and the callers
// waiting for one, served first come, first served. The order is kept here,
// not left to the runtime, so that a queued call's turn is well defined.
type sharedQueue struct {
	mu      sync.Mutex
	free    []*interp
	waiting list.List // of *waiter, oldest first
	closed  bool
}

type waiter struct {
	got    chan *interp // buffered; nil once the queue is closed
	handed bool         // put has sent to got
}

// get returns a free interpreter, waiting in turn for one. It returns
// ErrClosed once the queue is closed, and ctx's error when ctx ends first
// (even if an interpreter came at the same moment: a call whose deadline
// passed while queued must not run).
func (q *sharedQueue) get(ctx context.Context) (*interp, error) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		q.mu.Unlock()
		return nil, err
	}
	if n := len(q.free); n > 0 {
		it := q.free[n-1] // the most recently used: its pages are warm
		q.free = q.free[:n-1]
		q.mu.Unlock()
		return it, nil
	}
	w := &waiter{got: make(chan *interp, 1)}
	el := q.waiting.PushBack(w)
	q.mu.Unlock()
	select {
	case it := <-w.got:
		if it == nil {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			q.put(it)
			return nil, err
		}
		return it, nil
	case <-ctx.Done():
		q.mu.Lock()
		handed := w.handed
		if !handed {
			q.waiting.Remove(el)
		}
		q.mu.Unlock()
		if handed {
			if it := <-w.got; it != nil {
				q.put(it)
			}
		}
		return nil, ctx.Err()
	}
}

// put returns an interpreter: to the longest-waiting caller, else to the
// free ones. Once the queue is closed, it closes the interpreter.
func (q *sharedQueue) put(it *interp) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		it.close()
		return
	}
	if front := q.waiting.Front(); front != nil {
		w := q.waiting.Remove(front).(*waiter)
		w.handed = true
		w.got <- it
		q.mu.Unlock()
		return
	}
	q.free = append(q.free, it)
	q.mu.Unlock()
}

// waiters is the number of callers waiting.
func (q *sharedQueue) waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting.Len()
}

// close wakes every waiting caller with ErrClosed and returns the free
// interpreters, for the pool to close.
func (q *sharedQueue) close() []*interp {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for el := q.waiting.Front(); el != nil; el = el.Next() {
		w := el.Value.(*waiter)
		w.handed = true
		w.got <- nil
	}
	q.waiting.Init()
	free := q.free
	q.free = nil
	return free
}
