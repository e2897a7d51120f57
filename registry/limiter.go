package registry

import (
	"context"
	"sync"
)

// limiter bounds a service's concurrent calls. Waiters are served in FIFO
// order, so callers beyond the limit queue fairly.
type limiter struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{}
	freed   chan struct{} // closed when a slot frees up with no waiter
}

func newLimiter(n int) *limiter { return &limiter{free: n} }

func (l *limiter) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.free > 0 && len(l.waiters) == 0 {
		l.free--
		l.mu.Unlock()
		return nil
	}
	w := make(chan struct{})
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		for i, x := range l.waiters {
			if x == w {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				l.mu.Unlock()
				return context.Cause(ctx)
			}
		}
		l.mu.Unlock()
		// Granted while giving up: hand the slot on.
		l.release(1)
		return context.Cause(ctx)
	}
}

// tryAcquire takes a slot if one is free and nobody waits for it.
func (l *limiter) tryAcquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.free > 0 && len(l.waiters) == 0 {
		l.free--
		return true
	}
	return false
}

// waitFree waits until at least one slot is free, without taking any, and
// returns how many are free. The serve loop uses it so that it never holds
// slots while blocked reading its queue.
func (l *limiter) waitFree(ctx context.Context) (int, error) {
	for {
		l.mu.Lock()
		if l.free > 0 {
			n := l.free
			l.mu.Unlock()
			return n, nil
		}
		if l.freed == nil {
			l.freed = make(chan struct{})
		}
		ch := l.freed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
}

func (l *limiter) release(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.free += n
	for l.free > 0 && len(l.waiters) > 0 {
		l.free--
		close(l.waiters[0])
		l.waiters = l.waiters[1:]
	}
	if l.free > 0 && l.freed != nil {
		close(l.freed)
		l.freed = nil
	}
}
