package pyexec

import (
	"context"
	"fmt"
	"time"
)

// Interpreters other than the first are clones of the snapshot. clone
// makes one now; cloneLater makes one in the background; spare hands out
// an unused one, from those kept ready when it can.

// clone makes a fresh interpreter from the snapshot: a blank instance
// given the snapshot's pages, with no CPython start-up.
func (p *Pool) clone(ctx context.Context) (*interp, error) {
	s := p.snap
	ic, err := p.instanceConfig()
	if err != nil {
		return nil, err
	}
	ic.Snapshot = s.cow
	mod := p.mod
	if s.cow != nil && p.modNoData != nil {
		mod = p.modNoData
	}
	inst, err := mod.Instantiate(ctx, ic)
	if err != nil {
		return nil, err
	}
	grown := false
	if cur := inst.MemorySize(); cur < s.size {
		if !inst.Grow((s.size - cur) / pageSize) {
			inst.Close(ctx)
			return nil, fmt.Errorf("pyexec: grow memory to %d bytes: over the memory limit?", s.size)
		}
		grown = true
	}
	if s.cow != nil {
		// Without data segments and growth, the memory already reads as
		// the image; otherwise map it again over what was written.
		if mod == p.modNoData && !grown {
			// nothing to do
		} else if err := inst.RestoreSnapshot(); err != nil {
			inst.Close(ctx)
			return nil, err
		}
	} else {
		for pg, data := range s.pages {
			inst.Write(pg*pageSize, data)
		}
	}
	it := &interp{inst: inst}
	// Clones share the random state made before the snapshot.
	if _, err := inst.Call(ctx, exportReseed); err != nil {
		it.close()
		return nil, fmt.Errorf("pyexec: reseed restored interpreter: %w", err)
	}
	// An empty call, which changes no state: the engine grows a new
	// instance's stack for calls during its first call, by doubling and
	// copying, and that first call is then the clone's, not the caller's
	// (a new session's first call 153 -> 88 us of run, p50).
	if _, err := it.exec(ctx, "", 0, false); err != nil {
		it.close()
		return nil, fmt.Errorf("pyexec: first call in a restored interpreter: %w", err)
	}
	return it, nil
}

// cloneLater makes a clone in the background, retrying with back-off until
// the pool closes, and hands it to deliver (addSpare, or a queue's put).
func (p *Pool) cloneLater(deliver func(*interp)) {
	p.background(func() {
		for attempt := 0; ; attempt++ {
			it, err := p.clone(p.ctx)
			if err == nil {
				if p.isClosed() {
					it.close()
					return
				}
				deliver(it)
				return
			}
			if p.ctx.Err() != nil {
				return // closing
			}
			p.opts.Logger.Error("pyexec: cannot make an interpreter; retrying", "err", err, "attempt", attempt)
			select {
			case <-time.After(time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond):
			case <-p.ctx.Done():
				return
			}
		}
	})
}

// addSpare keeps it ready for spare, or closes it when Spares are ready.
func (p *Pool) addSpare(it *interp) {
	select {
	case p.spares <- it:
	default:
		it.close()
	}
}

// Spares is the number of clean interpreters ready now (at most
// Options.Spares): a new session or fresh call takes one without waiting
// for a clone.
func (p *Pool) Spares() int { return len(p.spares) }

// spare returns an interpreter nobody has used: one kept ready if there is
// one (and its successor is cloned in the background), else a clone made
// now.
func (p *Pool) spare(ctx context.Context) (*interp, error) {
	select {
	case it, ok := <-p.spares:
		if !ok {
			return nil, ErrClosed
		}
		p.cloneLater(p.addSpare)
		return it, nil
	default:
		return p.clone(ctx)
	}
}

// replace adds an unused interpreter to q in place of a discarded one,
// from the spares when one is ready, so that q never stays short.
func (p *Pool) replace(q *queue[*interp]) {
	deliver := func(it *interp) {
		if !q.putCold(it) {
			it.close()
		}
	}
	select {
	case it, ok := <-p.spares:
		if !ok {
			return // closed: nothing to replace for
		}
		deliver(it)
		p.cloneLater(p.addSpare)
	default:
		p.cloneLater(deliver)
	}
}
