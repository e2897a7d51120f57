package sandbox

import (
	"sync/atomic"
	"time"
)

// sleeper is an instance's nanosleep: it sleeps until the time is up or the
// current call's context ends, whichever comes first. The engines' own
// nanosleep ignores deadlines, so `time.sleep(30)` under a 1 s timeout would
// hold the call for 30 s; with this the engine stops the guest at once.
type sleeper struct {
	done atomic.Pointer[<-chan struct{}] // the running call's ctx.Done()
}

func (s *sleeper) sleep(ns int64) {
	if ns <= 0 {
		return
	}
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	var done <-chan struct{}
	if p := s.done.Load(); p != nil {
		done = *p
	}
	select {
	case <-t.C:
	case <-done:
	}
}

func (s *sleeper) set(done <-chan struct{}) {
	if done == nil {
		s.done.Store(nil)
		return
	}
	s.done.Store(&done)
}
