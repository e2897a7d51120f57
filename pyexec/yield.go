package pyexec

import (
	"log/slog"
	"sync"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// The pool runs Size interpreters at once, and on a machine with fewer
// cores they share them evenly: under an RL scoring load (32 running on 2
// cores, 2 s timeouts) the loops and heavy answers each held a run slot
// for their whole timeout while quick answers queued behind them. So a call
// in the isolated model that has used YieldAfter of CPU runs at the lowest priority (nice 19 on
// its own thread) from then on, as an operating system's feedback queue
// would, and stands aside from its run slot for the next call: it still
// gets every core nobody else wants, and its verdict is the same, but calls
// that have run less come first (RATIONALE "Long calls step aside"). CPU
// time decides, not wall time, which load stretches. Its deadline is
// wall-clock time, unchanged; at the deadline it is raised again, where
// the process may (CAP_SYS_NICE, or RLIMIT_NICE), so that it notices
// promptly; where it may not, its thread ends with it rather than run
// other Go code at that priority. Fresh and session calls do not yield:
// with them the deadlines' tail grew past 100 ms (190-300 ms in a third of
// the runs, from 21-52 ms), and the cause was not found; shared
// interpreters hold state that later calls expect.

// maxAside is how many calls may stand aside at once: Size, so that at
// most twice Size interpreters hold memory; none when yielding is off.
func (o *Options) maxAside() int {
	if o.YieldAfter <= 0 {
		return 0
	}
	return o.Size
}

// yielder lowers the priority of the threads of calls that ran long, and
// lets up to maxAside of them step aside.
type yielder struct {
	after    time.Duration // CPU time before a call yields; <= 0: never
	maxAside int
	log      *slog.Logger

	mu      sync.Mutex
	running map[*guestThread]struct{}
	aside   int  // running calls that stepped aside
	ticking bool // the watch loop runs
}

// guestThread is the thread one running guest is pinned to.
type guestThread struct {
	stepAside func() bool // frees the call's run slot; false if it may not; nil: the call does not yield
	entered   bool        // watched (pinned) while it runs

	th      threadprio.Thread
	start   time.Duration // the thread's CPU time when the call began
	demoted bool          // runs at the lowest priority
	stood   bool          // stepped aside
	late    bool          // past its deadline: left alone
}

func newYielder(after time.Duration, maxAside int, log *slog.Logger) *yielder {
	return &yielder{after: after, maxAside: maxAside, log: log, running: map[*guestThread]struct{}{}}
}

// enter pins the calling goroutine, which is about to run a guest, to its
// thread, and watches that thread's CPU time as g's (unless yielding is
// off).
func (y *yielder) enter(g *guestThread) {
	if y.after <= 0 || g.stepAside == nil {
		return
	}
	th := threadprio.Pin()
	start, _ := th.CPUTime()
	y.mu.Lock()
	defer y.mu.Unlock()
	g.th, g.start, g.entered = th, start, true
	y.running[g] = struct{}{}
	if !y.ticking {
		y.ticking = true
		go y.watch()
	}
}

// leave ends the watch of g, on the goroutine that entered: the thread is
// unpinned at its normal priority, or stays pinned (and so ends with the
// goroutine) when that cannot be restored.
func (y *yielder) leave(g *guestThread) {
	if !g.entered {
		return
	}
	y.mu.Lock()
	delete(y.running, g)
	if g.stood {
		y.aside--
	}
	restored := !g.demoted || y.restore(g)
	y.mu.Unlock()
	if restored {
		threadprio.Unpin()
	}
}

// raise gives g's thread its normal priority again, if it was lowered and
// may be raised: a guest past its deadline must run to notice it.
func (y *yielder) raise(g *guestThread) {
	y.mu.Lock()
	defer y.mu.Unlock()
	g.late = true
	if _, ok := y.running[g]; ok && g.demoted {
		y.restore(g)
	}
}

// restore sets g's thread back to its normal priority; y.mu is held.
func (y *yielder) restore(g *guestThread) bool {
	if err := g.th.SetNice(threadprio.Normal); err != nil {
		return false
	}
	g.demoted = false
	return true
}

// watch demotes, every tick while calls run, the threads that have used
// more than after of CPU in their call.
func (y *yielder) watch() {
	tick := time.NewTicker(min(max(y.after/4, time.Millisecond), 10*time.Millisecond))
	defer tick.Stop()
	for range tick.C {
		y.mu.Lock()
		if len(y.running) == 0 {
			y.ticking = false
			y.mu.Unlock()
			return
		}
		for g := range y.running {
			if g.late || g.stood {
				continue
			}
			if !g.demoted {
				cpu, err := g.th.CPUTime()
				if err != nil || cpu-g.start < y.after {
					continue
				}
				if err := g.th.SetNice(threadprio.Lowest); err != nil {
					y.log.Debug("pyexec: cannot lower a long call's priority", "err", err)
					continue
				}
				g.demoted = true
			}
			// Lowered, it may step aside (now, or once another has ended).
			if y.aside < y.maxAside && g.stepAside() {
				g.stood = true
				y.aside++
			}
		}
		y.mu.Unlock()
	}
}
