package pyexec

import (
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// A guest that has run lowerAfter runs guestsBelow nice levels below the
// host's own threads, on its own thread (pinned for the call). With 32
// interpreters on 2 cores, the thread that returns a call at its deadline
// waits its turn like any other, and a thread that had run a lot waits
// longest: fresh calls returned up to 105 ms after their deadline on this
// VM, the trace showing the caller's thread runnable but not run. Below
// the host, the host's threads come first: issue 7's workload held its
// deadlines within 6-65 ms in every model (RATIONALE "Guests run below the
// host"). Only calls that ran lowerAfter are lowered: lowering every call
// cost 20 us a call (three system calls, and the switches a priority
// change makes), +60% for a session call, and halved the calls a second
// of 128 environments with state. And a call that does not yield is
// pinned (so that it can be lowered) only if it starts beside as many
// running guests as there are CPUs: with fewer, nobody waits for a core,
// and the pin cost a shared call 42 -> 46 us. The gap is small so that a call
// standing aside (below, nice 19) stays far below the others: guests at
// nice 10 cost 8% of the default model's throughput. While the garbage
// collector marks, nobody is at nice 19 (collect.go).
//
// The pool runs Size interpreters at once, and on a machine with fewer
// cores they share them evenly: under an RL scoring load (32 running on 2
// cores, 2 s timeouts) the loops and heavy answers each held a run slot for
// their whole timeout while quick answers queued behind them. So a call in
// the isolated model that has used YieldAfter of CPU runs at the lowest
// priority (nice 19) from then on, as an operating system's feedback queue
// would, and stands aside from its run slot for the next call: it still
// runs, below the calls that have run less, and its verdict is the same
// (RATIONALE "Long calls step aside"). CPU time decides, not wall time,
// which load stretches. Its deadline is wall-clock time, unchanged; at the
// deadline it is raised again, so that it notices promptly. That needs
// CAP_SYS_NICE or RLIMIT_NICE; a process without them (a container's
// default) cannot raise a thread once lowered, so there a call stands aside
// at the guests' priority: at the lowest, it kept the collector waiting and
// returned calls up to 2.5 s late. Every lowered thread then ends with its
// call rather than run the next guest at that priority. Fresh and session
// calls do not yield: with them the deadlines' tail grew past 100 ms
// (190-300 ms in a third of the runs, while guests ran at the host's
// priority); shared interpreters hold state that later calls expect.

// guestsBelow is how far below the host's priority guests that have run
// lowerAfter go: their threads' nice value is the host's plus this (at
// most Lowest).
const guestsBelow = 5

// lowerAfter is how long a call runs before its guest goes below the host;
// the watch loop ticks as often, so a call is lowered within twice that.
const lowerAfter = 5 * time.Millisecond

// maxAside is how many calls may stand aside at once: Size, so that at
// most twice Size interpreters hold memory; none when yielding is off.
func (o *Options) maxAside() int {
	if o.YieldAfter <= 0 {
		return 0
	}
	return o.Size
}

// yielder lowers the priority of the threads of calls that ran a while,
// and more for calls that ran long, and lets up to maxAside of the latter
// step aside.
type yielder struct {
	after      time.Duration // CPU time before a call yields; <= 0: never
	maxAside   int
	log        *slog.Logger
	host, nice int // nice values of the host's threads and of guests that ran lowerAfter
	// mayRaise says whether a lowered thread can be set back (at its
	// call's end, its deadline, a mark of the collector); asideNice is
	// where calls that stand aside go: the lowest priority if they can be
	// raised from it, else the guests' own, since one that cannot be
	// raised keeps the collector and its deadline waiting (RATIONALE
	// "Where threads cannot be raised, nobody goes to nice 19").
	mayRaise  bool
	asideNice int
	cpus      int  // running guests beyond which a call that does not yield is pinned
	inline    bool // whether a guest that would not be pinned may run on its caller's goroutine (enterInline)

	marks *markWatch // whether the garbage collector marks (collect.go)

	mu      sync.Mutex
	running map[*guestThread]struct{}
	aside   int  // running calls that stepped aside
	ticking bool // the watch loop runs
}

// guestThread is the thread one running guest is pinned to.
type guestThread struct {
	stepAside func() bool // frees the call's run slot; false if it may not; nil: the call does not yield

	th      threadprio.Thread
	pinned  bool          // th is the guest's, for the call
	began   time.Time     // when the call began
	start   time.Duration // the thread's CPU time then, if the call may yield
	lowered bool          // runs at the guests' priority
	demoted bool          // runs at asideNice
	stood   bool          // stepped aside
	late    bool          // past its deadline: left alone
}

// newYielder makes the pool's yielder; inline: every host function its
// guests can reach returns by the call's deadline (see enterInline);
// mayRaise: the process may raise a thread it lowered (threadprio.MayRaise).
func newYielder(after time.Duration, maxAside int, inline, mayRaise bool, log *slog.Logger) *yielder {
	host, err := threadprio.CurrentNice()
	if err != nil {
		log.Warn("pyexec: cannot read the host's priority; taking it as normal", "err", err)
		host = threadprio.Normal
	}
	y := &yielder{after: after, maxAside: maxAside, inline: inline, log: log, running: map[*guestThread]struct{}{},
		host: host, nice: min(host+guestsBelow, threadprio.Lowest), cpus: runtime.NumCPU(), marks: newMarkWatch(),
		mayRaise: mayRaise}
	y.asideNice = y.nice
	if y.mayRaise {
		y.asideNice = threadprio.Lowest
	} else if y.nice > host {
		log.Info("pyexec: this process may not raise a thread's priority again (no CAP_SYS_NICE, RLIMIT_NICE below 20): "+
			"long calls stand aside at the guests' priority, not the lowest, and a lowered guest's thread ends with its call",
			"host_nice", host, "guests_nice", y.nice)
	}
	return y
}

// yields says whether g's call may yield the cores and stand aside.
func (y *yielder) yields(g *guestThread) bool { return y.after > 0 && g.stepAside != nil }

// enter watches the calling goroutine, which is about to run a guest, as
// g's, pinned to its thread if it may yield or if the cores are busy.
func (y *yielder) enter(g *guestThread) {
	y.mu.Lock()
	busy := len(y.running) >= y.cpus
	y.mu.Unlock()
	g.began = time.Now()
	if busy || y.yields(g) {
		g.th, g.pinned = threadprio.Pin(), true
	}
	if y.yields(g) {
		g.start, _ = g.th.CPUTime()
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	y.watchLocked(g)
}

// enterInline watches g, like enter, if its guest would not be pinned
// there: its call does not yield and fewer guests than CPUs run. Such a
// guest is never lowered, so it keeps the host's priority and notices its
// deadline as soon as a caller waiting for it would run to return; it then
// runs on the calling goroutine (see execBounded). Not where the guests
// can reach host directories of the user's (Options.Mounts): opening a
// FIFO there blocks in the host, past any deadline. False: nothing is done.
func (y *yielder) enterInline(g *guestThread) bool {
	if !y.inline || y.yields(g) {
		return false
	}
	y.mu.Lock()
	defer y.mu.Unlock()
	if len(y.running) >= y.cpus {
		return false
	}
	g.began = time.Now()
	y.watchLocked(g)
	return true
}

// watchLocked adds g to the running guests, with y.mu held, and starts the
// watch loop if it is not running.
func (y *yielder) watchLocked(g *guestThread) {
	y.running[g] = struct{}{}
	if !y.ticking {
		y.ticking = true
		go y.watch()
	}
}

// leave ends the watch of g, on the goroutine that entered, and unpins it
// if its thread is back at the host's priority; if it cannot be, the
// thread stays pinned and ends with the goroutine, so that no other Go
// code runs at that priority.
func (y *yielder) leave(g *guestThread) {
	y.mu.Lock()
	delete(y.running, g) // from now on nobody else changes its thread
	if g.stood {
		y.aside--
	}
	lowered := g.lowered || g.demoted
	y.mu.Unlock()
	// Set back outside the lock: a thread at nice 19 holding it could keep
	// the watch loop and the raises at deadlines waiting.
	if g.pinned && (!lowered || y.mayRaise && g.th.SetNice(y.host) == nil) {
		threadprio.Unpin()
	}
}

// raise gives g's thread the guests' priority again, if it was lowered
// below it and may be raised: a guest past its deadline must run to
// notice it.
func (y *yielder) raise(g *guestThread) {
	y.mu.Lock()
	defer y.mu.Unlock()
	g.late = true
	if _, ok := y.running[g]; ok {
		y.undemote(g)
	}
}

// undemote gives g's thread, with y.mu held, the guests' priority again if
// it stands below it (asideNice) and may be raised.
func (y *yielder) undemote(g *guestThread) {
	if g.demoted && y.asideNice != y.nice && g.th.SetNice(y.nice) == nil {
		g.demoted, g.lowered = false, true
	}
}

// watch lowers, every tick while calls run, the threads of calls that
// have run lowerAfter, and demotes those that have used more than after
// of CPU in a call that may yield.
func (y *yielder) watch() {
	every := lowerAfter
	if y.after > 0 {
		every = min(every, max(y.after/4, time.Millisecond))
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var stepping []*guestThread // calls stepping aside this tick (the array is reused)
	for now := range tick.C {
		stepping = stepping[:0]
		// Read before taking the lock: the runtime's metrics have a lock
		// of their own, which other readers of them may hold.
		marking := y.marks.marking()
		y.mu.Lock()
		if len(y.running) == 0 {
			y.ticking = false
			y.mu.Unlock()
			return
		}
		if marking {
			// Nobody at the lowest priority while the collector marks
			// (collect.go); the loop below lowers them again after.
			for g := range y.running {
				y.undemote(g)
			}
		}
		for g := range y.running {
			if g.late || !g.pinned {
				continue
			}
			if !g.lowered && !g.demoted && now.Sub(g.began) >= lowerAfter {
				if err := g.th.SetNice(y.nice); err != nil {
					y.log.Debug("pyexec: cannot lower a guest's priority", "err", err)
				} else {
					g.lowered = true
				}
			}
			if !y.yields(g) || marking {
				continue
			}
			if !g.demoted {
				if now.Sub(g.began) < y.after {
					continue // it cannot have used more CPU than that
				}
				cpu, err := g.th.CPUTime()
				if err != nil || cpu-g.start < y.after {
					continue
				}
				if err := g.th.SetNice(y.asideNice); err != nil {
					y.log.Debug("pyexec: cannot lower a long call's priority", "err", err)
					continue
				}
				g.demoted = true
			}
			// Lowered, it may step aside (now, or once another has ended):
			// its place is taken here, and given back below if it may not.
			if !g.stood && y.aside < y.maxAside {
				g.stood = true
				y.aside++
				stepping = append(stepping, g)
			}
		}
		y.mu.Unlock()
		// Outside the lock: stepping aside hands the run slot on and
		// replaces the interpreter, which allocates and so may wait for
		// the garbage collector, and every call's start and end waits for
		// the lock (a trace showed them 100-220 ms behind it).
		for _, g := range stepping {
			if !g.stepAside() {
				y.mu.Lock()
				if _, ok := y.running[g]; ok { // else leave counted it out
					g.stood = false
					y.aside--
				}
				y.mu.Unlock()
			}
		}
	}
}
