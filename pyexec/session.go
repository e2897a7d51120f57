package pyexec

import (
	"context"
	"sync"
	"time"
)

// A session is an interpreter of its own for one ID, kept across calls: at
// most MaxSessions live (the least recently used is evicted), and idle ones
// are closed after SessionIdle.
type session struct {
	id   string
	mu   sync.Mutex // one call at a time per session
	it   *interp
	used time.Time
	dead bool // evicted or reset: no longer in the pool's table
}

func (p *Pool) execSession(ctx context.Context, c *call) (Result, error) {
	req := c.req
	s, err := p.session(ctx, req.Session)
	if err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	for s.dead { // evicted or reset between lookup and lock: use its successor
		s.mu.Unlock()
		if s, err = p.session(ctx, req.Session); err != nil {
			return Result{}, err
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	// The slot is taken once it is this session's turn, so that a call
	// waiting for its session's previous one holds none.
	ctx, done, err := p.admit(ctx, c)
	if err != nil {
		return p.notAdmitted(c, err)
	}
	defer done()
	if s.it == nil { // replaced after a failure
		if s.it, err = p.spare(ctx); err != nil {
			return p.noInterpreter(ctx, c, err)
		}
	}
	res, keep := p.run(ctx, req, s.it, false)
	if !keep {
		p.discard(s.it)
		s.it = nil
		res.Stderr += "[the session's interpreter was replaced: its state is gone]\n"
	}
	s.used = time.Now()
	return res, nil
}

// session returns the session of id, making it (and evicting the least
// recently used one beyond MaxSessions) if needed.
func (p *Pool) session(ctx context.Context, id string) (*session, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if el, ok := p.sessions[id]; ok {
		p.lru.MoveToFront(el)
		s := el.Value.(*session)
		p.mu.Unlock()
		return s, nil
	}
	s := &session{id: id, used: time.Now()}
	p.sessions[id] = p.lru.PushFront(s)
	var evict []*session
	for p.lru.Len() > p.opts.MaxSessions {
		el := p.lru.Back()
		old := el.Value.(*session)
		p.lru.Remove(el)
		delete(p.sessions, old.id)
		evict = append(evict, old)
	}
	p.mu.Unlock()
	for _, old := range evict {
		old.kill()
	}
	return s, nil
}

// ResetSession drops a session's state: its next call starts clean.
func (p *Pool) ResetSession(id string) {
	p.mu.Lock()
	el, ok := p.sessions[id]
	if ok {
		p.lru.Remove(el)
		delete(p.sessions, id)
	}
	p.mu.Unlock()
	if ok {
		el.Value.(*session).kill()
	}
}

// kill closes the session's interpreter and marks it dead, after any call
// in it has finished.
func (s *session) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = true
	if s.it != nil {
		s.it.close()
		s.it = nil
	}
}

// Sessions is the number of live sessions.
func (p *Pool) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// expireSessions closes sessions idle for longer than SessionIdle, until
// the pool closes.
func (p *Pool) expireSessions() {
	t := time.NewTicker(max(p.opts.SessionIdle/10, time.Second))
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		var stale []string
		for id, el := range p.sessions {
			s := el.Value.(*session)
			if s.mu.TryLock() {
				if time.Since(s.used) > p.opts.SessionIdle {
					stale = append(stale, id)
				}
				s.mu.Unlock()
			}
		}
		p.mu.Unlock()
		for _, id := range stale {
			p.ResetSession(id)
		}
	}
}
