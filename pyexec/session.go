package pyexec

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// A session is an interpreter of its own for one ID, kept across calls: at
// most MaxSessions live (the least recently used is evicted), and idle ones
// are closed after SessionIdle.
type session struct {
	id string
	// turn is held by the session's one call at a time: a channel, not a
	// mutex, so that a call waiting for its turn gives up when its context
	// ends.
	turn chan struct{}
	it   *interp     // held with turn
	used time.Time   // held with turn
	dead atomic.Bool // evicted or reset: no longer in the pool's table
}

func newSession(id string) *session {
	return &session{id: id, turn: make(chan struct{}, 1), used: time.Now()}
}

// lock waits for the session's turn until ctx ends.
func (s *session) lock(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tryLock takes the session's turn if it is free.
func (s *session) tryLock() bool {
	select {
	case s.turn <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *session) unlock() { <-s.turn }

func (p *Pool) execSession(ctx context.Context, c *call) (Result, error) {
	req := c.req
	s, err := p.session(req.Session)
	if err != nil {
		return Result{}, err
	}
	if err := s.lock(ctx); err != nil {
		return p.queued(ctx, c), nil
	}
	for s.dead.Load() { // evicted or reset between lookup and lock: use its successor
		s.unlock()
		if s, err = p.session(req.Session); err != nil {
			return Result{}, err
		}
		if err := s.lock(ctx); err != nil {
			return p.queued(ctx, c), nil
		}
	}
	defer s.unlock()
	// The slot is taken once it is this session's turn, so that a call
	// waiting for its session's previous one holds none.
	done, err := p.admit(ctx)
	if err != nil {
		return p.notAdmitted(ctx, c, err)
	}
	if s.it == nil { // replaced after a failure
		if s.it, err = p.spare(ctx); err != nil {
			done()
			return p.noInterpreter(ctx, c, err)
		}
	}
	if p.outgrown(s.it, req.Memory) {
		// Its state cannot move to an interpreter that honours the limit,
		// and is the caller's to drop (a reset), not the limit's.
		done()
		return Result{Stderr: fmt.Sprintf("Error: this session's interpreter already holds %d MiB, more than this call's "+
			"memory limit of %d MiB, and its memory cannot shrink: the code did not run (the session is kept; "+
			"reset it, or call without the limit)\n", s.it.inst.MemorySize()>>20, req.Memory>>20),
			ReturnCode: -1, Failure: FailMemory}, nil
	}
	defer p.afterStop(s.it, done) // a guest stopping after its deadline keeps its slot
	runCtx, cancel := p.begin(ctx, c)
	res, keep := p.run(runCtx, c, s.it, false)
	cancel()
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
func (p *Pool) session(id string) (*session, error) {
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
	s := newSession(id)
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
		p.kill(old)
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
		p.kill(el.Value.(*session))
	}
}

// kill marks a session dead and closes its interpreter once any call in it
// has finished, in the background: a caller that evicts or resets a
// session does not wait for that session's call.
func (p *Pool) kill(s *session) {
	s.dead.Store(true)
	closeIt := func() {
		s.turn <- struct{}{}
		defer s.unlock()
		if s.it != nil {
			s.it.close()
			s.it = nil
		}
	}
	if !p.background(closeIt) {
		closeIt() // the pool is closed: Close has stopped every call
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
		var stale []*session
		for _, el := range p.sessions {
			s := el.Value.(*session)
			if s.tryLock() {
				if time.Since(s.used) > p.opts.SessionIdle {
					stale = append(stale, s)
				}
				s.unlock()
			}
		}
		p.mu.Unlock()
		for _, s := range stale {
			p.expire(s)
		}
	}
}

// expire ends s if it is still its ID's session and still idle: a call may
// have used it (or a new session taken its ID) since expireSessions judged
// it stale, and resetting by ID then dropped state just made.
func (p *Pool) expire(s *session) {
	p.mu.Lock()
	el, ok := p.sessions[s.id]
	if !ok || el.Value.(*session) != s || !s.tryLock() {
		p.mu.Unlock()
		return
	}
	idle := time.Since(s.used) > p.opts.SessionIdle
	if idle {
		p.lru.Remove(el)
		delete(p.sessions, s.id)
	}
	s.unlock()
	p.mu.Unlock()
	if idle {
		p.kill(s)
	}
}
