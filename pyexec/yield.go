package pyexec

import (
	"log/slog"
	"sync"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// Guests run on threads guestsBelow nice levels below the host's own
// (threadprio.Workers: the caller's thread for the guest's time where the
// process may set its priority back, else threads kept for guests). With
// 32 interpreters on 2 cores, the thread that returns a call at its
// deadline waits its turn like any other, and a thread that had run a lot
// waits longest: fresh calls returned up to 105 ms after their deadline on
// this VM, the trace showing the caller's thread runnable but not run.
// Below the host, the host's threads come first: issue 7's workload held
// its deadlines within 5-41 ms in every model (RATIONALE "Guests run below
// the host"). The gap is small so that a call standing aside (below, nice
// 19) stays far below the others: guests at nice 10 cost 8% of the
// default model's throughput.
//
// The pool runs Size interpreters at once, and on a machine with fewer
// cores they share them evenly: under an RL scoring load (32 running on 2
// cores, 2 s timeouts) the loops and heavy answers each held a run slot
// for their whole timeout while quick answers queued behind them. So a call
// in the isolated model that has used YieldAfter of CPU runs at the lowest
// priority (nice 19) from then on, as an operating system's feedback queue
// would, and stands aside from its run slot for the next call: it still
// gets every core nobody else wants, and its verdict is the same, but calls
// that have run less come first (RATIONALE "Long calls step aside"). CPU
// time decides, not wall time, which load stretches. Its deadline is
// wall-clock time, unchanged; at the deadline it is raised again, where
// the process may (CAP_SYS_NICE, or RLIMIT_NICE), so that it notices
// promptly; where it may not, its thread ends with it rather than run the
// next guest at that priority. Fresh and session calls do not yield: with
// them the deadlines' tail grew past 100 ms (190-300 ms in a third of the
// runs, while guests ran at the host's priority); shared interpreters hold
// state that later calls expect.

// guestsBelow is how far below the host's priority guests run: their
// threads' nice value is the host's plus this (at most Lowest).
const guestsBelow = 5

// guestThreadIdle is how long a guest thread with nothing to run is kept.
const guestThreadIdle = 10 * time.Second

// maxAside is how many calls may stand aside at once: Size, so that at
// most twice Size interpreters hold memory; none when yielding is off.
func (o *Options) maxAside() int {
	if o.YieldAfter <= 0 {
		return 0
	}
	return o.Size
}

// yielder runs guests on threads of their own, lowers the priority of the
// threads of calls that ran long, and lets up to maxAside of them step
// aside.
type yielder struct {
	after    time.Duration // CPU time before a call yields; <= 0: never
	maxAside int
	log      *slog.Logger
	nice     int // of the guests' threads
	threads  *threadprio.Workers

	mu      sync.Mutex
	running map[*guestThread]struct{}
	aside   int  // running calls that stepped aside
	ticking bool // the watch loop runs
}

// guestThread is the thread one running guest runs on.
type guestThread struct {
	stepAside func() bool // frees the call's run slot; false if it may not; nil: the call does not yield
	entered   bool        // watched while it runs

	th      threadprio.Thread
	start   time.Duration // the thread's CPU time when the call began
	demoted bool          // runs at the lowest priority
	stood   bool          // stepped aside
	late    bool          // past its deadline: left alone
}

func newYielder(after time.Duration, maxAside int, log *slog.Logger) *yielder {
	host, err := threadprio.CurrentNice()
	if err != nil {
		log.Warn("pyexec: cannot read the host's priority; taking it as normal", "err", err)
		host = threadprio.Normal
	}
	nice := min(host+guestsBelow, threadprio.Lowest)
	return &yielder{after: after, maxAside: maxAside, log: log, running: map[*guestThread]struct{}{},
		nice: nice, threads: threadprio.NewWorkers(nice, host, guestThreadIdle)}
}

// close ends the guest threads once their guests have stopped.
func (y *yielder) close() { y.threads.Close() }

// enter watches th's CPU time as g's, th being the thread g's guest is
// about to run on, on the goroutine that will run it (unless yielding is
// off or the call does not yield).
func (y *yielder) enter(g *guestThread, th threadprio.Thread) {
	if y.after <= 0 || g.stepAside == nil {
		return
	}
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

// leave ends the watch of g, on the goroutine that entered, and says
// whether g's thread is back at the guests' priority and may run the next
// guest.
func (y *yielder) leave(g *guestThread) bool {
	if !g.entered {
		return true
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	delete(y.running, g)
	if g.stood {
		y.aside--
	}
	return !g.demoted || y.restore(g)
}

// raise gives g's thread the guests' priority again, if it was lowered and
// may be raised: a guest past its deadline must run to notice it.
func (y *yielder) raise(g *guestThread) {
	y.mu.Lock()
	defer y.mu.Unlock()
	g.late = true
	if _, ok := y.running[g]; ok && g.demoted {
		y.restore(g)
	}
}

// restore sets g's thread back to the guests' priority; y.mu is held.
func (y *yielder) restore(g *guestThread) bool {
	if err := g.th.SetNice(y.nice); err != nil {
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
