package wasm

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// pool holds the warm instances of one plugin. A call takes the most
// recently used one (its memory is the likeliest to be in cache) or, when
// none is idle, starts one. At most size instances are busy: the registry's
// limiter already queues calls beyond the service's max concurrency, and
// slots does the same for a Plugin called directly (waiters are served in
// the order they came, as the runtime queues channel receivers). A
// discarded instance is replaced in the background so the next call finds
// a warm one.
type pool struct {
	start   func(context.Context) (*instance, error)
	maxIdle int
	slots   chan struct{} // a token per instance that may be busy

	mu     sync.Mutex
	idle   []*instance
	closed bool
	refill sync.WaitGroup
	ctx    context.Context // refills; cancelled by close
	cancel context.CancelFunc

	created, discarded atomic.Uint64
}

func newPool(start func(context.Context) (*instance, error), maxIdle int) *pool {
	p := &pool{maxIdle: maxIdle, slots: make(chan struct{}, maxIdle)}
	for range maxIdle {
		p.slots <- struct{}{}
	}
	p.start = func(ctx context.Context) (*instance, error) {
		inst, err := start(ctx)
		if err == nil {
			p.created.Add(1)
		}
		return inst, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// get waits for a slot, then takes an idle instance or starts one.
func (p *pool) get(ctx context.Context) (*instance, error) {
	select {
	case <-p.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.slots <- struct{}{}
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.mu.Unlock()
	inst, err := p.start(ctx)
	if err != nil {
		p.slots <- struct{}{}
	}
	return inst, err
}

// put gives back a sound instance taken with get. The idle instances are
// full only when a failure's replacement came while a caller ran on an
// instance it started itself: the one just used is kept (with one
// instance, it holds the guest's state), the least recently used dropped.
func (p *pool) put(inst *instance) {
	drop := inst
	p.mu.Lock()
	switch {
	case p.closed:
	case len(p.idle) < p.maxIdle:
		p.idle, drop = append(p.idle, inst), nil
	default:
		drop = p.idle[0]
		copy(p.idle, p.idle[1:])
		p.idle[len(p.idle)-1] = inst
	}
	p.mu.Unlock()
	if drop != nil {
		drop.close()
	}
	p.slots <- struct{}{}
}

// refilled adds a failure's replacement to the idle instances, below the
// used ones (its memory is cold), unless callers have started enough
// already or the pool is closed.
func (p *pool) refilled(inst *instance) {
	p.mu.Lock()
	if !p.closed && len(p.idle) < p.maxIdle {
		p.idle = slices.Insert(p.idle, 0, inst)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	inst.close()
}

// discard closes a failed instance taken with get and starts its
// replacement.
func (p *pool) discard(inst *instance) {
	p.discarded.Add(1)
	inst.close()
	p.slots <- struct{}{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.refill.Add(1)
	go func() {
		defer p.refill.Done()
		if inst, err := p.start(p.ctx); err == nil {
			p.refilled(inst)
		}
	}()
}

// close closes the idle instances and waits for refills; it reports
// whether this call closed the pool.
func (p *pool) close() bool {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return false
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	p.cancel()
	p.refill.Wait()
	for _, inst := range idle {
		inst.close()
	}
	return true
}

func (p *pool) stats() Stats {
	p.mu.Lock()
	n := len(p.idle)
	p.mu.Unlock()
	return Stats{Idle: n, Created: p.created.Load(), Discarded: p.discarded.Load()}
}
