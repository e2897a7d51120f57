package threadprio

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Workers runs functions on OS threads at one nice value, so that what
// runs there competes with the rest of the process at that priority only,
// and the process's other threads never inherit it.
//
// Where the process may set a thread's priority back (CAP_SYS_NICE, or an
// RLIMIT_NICE that allows it), a function runs on a new goroutine pinned
// to its thread for the function's time: Go runs it on the caller's thread
// once the caller waits, which costs two setpriority calls. Elsewhere the
// first function's thread cannot be given back and ends with it; from then
// on functions run on threads kept for them, which a function reaches
// through a wake-up of another thread each way (~45 µs each on a 2-core VM).
// A kept thread waits idleFor for the next function before it ends.
type Workers struct {
	nice, host int
	idleFor    time.Duration
	kept       atomic.Bool            // threads are kept: a priority could not be set back
	jobs       chan func(Thread) bool // unbuffered: a send succeeds only to an idle kept thread
	quit       chan struct{}
	once       sync.Once
}

// NewWorkers returns workers whose threads run at nice, in a process whose
// other threads run at host; a kept thread idle for idleFor ends.
func NewWorkers(nice, host int, idleFor time.Duration) *Workers {
	return &Workers{nice: nice, host: host, idleFor: idleFor, jobs: make(chan func(Thread) bool), quit: make(chan struct{})}
}

// Go runs f on a thread at the workers' nice value. f gets the thread and
// says whether it may serve again: false when f changed the thread's
// priority and could not set it back (see SetNice), so that the thread
// ends rather than run anything else at that priority.
func (w *Workers) Go(f func(Thread) bool) {
	if !w.kept.Load() {
		go w.borrow(f)
		return
	}
	select {
	case w.jobs <- f:
	default:
		go w.serve(f)
	}
}

// borrow runs f on the thread Go gives it, at the workers' priority, and
// gives the thread back at the host's; where it cannot, the thread ends
// with this goroutine and threads are kept from then on.
func (w *Workers) borrow(f func(Thread) bool) {
	th := Pin()
	// Raising the nice value is always allowed; were the thread already
	// below it, f runs at the thread's priority instead.
	th.SetNice(w.nice)
	if !f(th) || th.SetNice(w.host) != nil {
		w.kept.Store(true)
		return
	}
	runtime.UnlockOSThread()
}

// serve runs f, then the functions sent to it, on a thread kept for them:
// the goroutine stays pinned, and the thread ends with it.
func (w *Workers) serve(f func(Thread) bool) {
	th := Pin()
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

// Close ends the idle kept threads, and each busy one once its function
// returns; it does not wait for them.
func (w *Workers) Close() {
	w.once.Do(func() { close(w.quit) })
}
