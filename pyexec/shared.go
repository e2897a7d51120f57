package pyexec

import "context"

// execPooled runs code in one of the interpreters of q, each serving call
// after call: the isolated ones (the default model: a new __main__ per
// call, and an interpreter the call changed is replaced) or the shared ones
// (TorchRL's service mode: one persistent __main__). Interpreters are handed
// out in the order calls came.
func (p *Pool) execPooled(ctx context.Context, c *call, q *queue[*interp], isolate bool) (Result, error) {
	done, err := p.admit(ctx)
	if err != nil {
		return p.notAdmitted(ctx, c, err)
	}
	it, err := p.pooled(ctx, q, isolate)
	if err == nil {
		it, err = p.fit(ctx, c, it, q)
	}
	if err != nil {
		done()
		return p.noInterpreter(ctx, c, err)
	}
	defer p.afterStop(it, done) // a guest stopping after its deadline keeps its slot
	if isolate {
		// A call that steps aside keeps its interpreter: the next call
		// gets a new one, and this one goes when the call ends. Only the
		// isolated model's calls yield (yield.go).
		c.mayStepAside(func() { done(); p.replace(q) })
	}
	runCtx, cancel := p.begin(ctx, c)
	res, keep := p.run(runCtx, c, it, isolate)
	cancel()
	if c.ended() {
		p.discard(it) // replaced when it stepped aside
		return res, nil
	}
	if keep {
		if !q.put(it) {
			p.discard(it)
		}
	} else {
		p.discard(it)
		p.replace(q)
	}
	return res, nil
}

// pooled takes an interpreter from q. The shared ones are made on first
// use, up to Size of them, so that a pool whose callers never ask for
// shared state pays nothing for it; an idle one is taken before another is
// made, so that calls one after the other see each other's state.
func (p *Pool) pooled(ctx context.Context, q *queue[*interp], isolate bool) (*interp, error) {
	if !isolate {
		if it, ok := q.tryGet(); ok {
			return it, nil
		}
		p.mu.Lock()
		grow := p.sharedMade < p.opts.Size
		if grow {
			p.sharedMade++
		}
		p.mu.Unlock()
		if grow {
			it, err := p.spare(ctx)
			if err != nil {
				p.mu.Lock()
				p.sharedMade--
				p.mu.Unlock()
			}
			return it, err
		}
	}
	return q.get(ctx)
}
