package threadprio

import (
	"sync"
	"time"
)

// Workers runs functions on OS threads kept for them at one nice value, so
// that what runs there competes with the rest of the process at that
// priority only, and the process's other threads never inherit it: a
// worker's goroutine stays pinned to its thread for the thread's whole
// life, and the thread ends with it. A worker serves one function at a
// time and waits idleFor for the next before it ends.
type Workers struct {
	nice    int
	idleFor time.Duration
	jobs    chan func(Thread) bool // unbuffered: a send succeeds only to an idle worker
	quit    chan struct{}
	once    sync.Once
}

// NewWorkers returns workers whose threads run at nice (Normal to
// Lowest); a worker idle for idleFor ends.
func NewWorkers(nice int, idleFor time.Duration) *Workers {
	return &Workers{nice: nice, idleFor: idleFor, jobs: make(chan func(Thread) bool), quit: make(chan struct{})}
}

// Go runs f on an idle worker, or on a new one. f gets the worker's thread
// and says whether the thread may serve again: false when f changed the
// thread's priority and could not set it back (see SetNice), so that the
// thread ends rather than serve the next function at that priority. After
// Close, Go still runs f, on a thread that ends after it.
func (w *Workers) Go(f func(Thread) bool) {
	select {
	case w.jobs <- f:
	default:
		go w.serve(f)
	}
}

// serve pins a new worker to its thread, never to unpin it.
func (w *Workers) serve(f func(Thread) bool) {
	th := Pin()
	// Raising the nice value is always allowed; were the thread already
	// below it (a process started at a lower priority), the functions run
	// at the process's priority instead.
	th.SetNice(w.nice)
	idle := time.NewTimer(w.idleFor)
	defer idle.Stop()
	for {
		if !f(th) {
			return
		}
		idle.Reset(w.idleFor)
		select {
		case f = <-w.jobs:
		case <-idle.C:
			return
		case <-w.quit:
			return
		}
	}
}

// Nice is the nice value of the workers' threads.
func (w *Workers) Nice() int { return w.nice }

// Close ends the idle workers, and each busy one once its function
// returns; it does not wait for them.
func (w *Workers) Close() {
	w.once.Do(func() { close(w.quit) })
}
