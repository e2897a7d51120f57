package threadprio_test

import (
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// ran is what one function run by Workers saw of its thread.
type ran struct {
	tid, nice, caller int
	err               error
}

// runOn runs one function on w and reports its thread, its nice value and
// the caller's, which must stay the host's.
func runOn(w *threadprio.Workers, keep bool) ran {
	got := make(chan ran, 1)
	w.Go(func(th threadprio.Thread) bool {
		n, err := th.Nice()
		got <- ran{tid: th.ID(), nice: n, err: err}
		return keep
	})
	r := <-got
	r.caller, _ = threadprio.CurrentNice()
	return r
}

// Functions run on threads at the workers' nice value, and the rest of the
// process keeps its own; an idle worker serves the next function on the
// same thread, and a thread whose function says it may not serve again
// is not given another.
func TestWorkersRunFunctionsBelowTheProcess(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	nice := min(host+3, threadprio.Lowest)
	w := threadprio.NewWorkers(nice, time.Minute)
	defer w.Close()

	first := runOn(w, true)
	if first.err != nil {
		t.Fatal(first.err)
	}
	if first.nice != nice {
		t.Errorf("a worker runs at nice %d, want %d", first.nice, nice)
	}
	if other := highestOtherNice(t, first.tid); other == nice && nice != host {
		t.Errorf("another thread of the process is at the workers' nice %d too", nice)
	}
	// The worker is idle once its function has sent; wait for it to be
	// back at its receive, which a second function then finds.
	var second ran
	for range 100 {
		if second = runOn(w, false); second.tid == first.tid {
			break
		}
	}
	if second.tid != first.tid {
		t.Errorf("an idle worker's thread was not reused: %d, then %d", first.tid, second.tid)
	}
	third := runOn(w, true)
	if third.tid == second.tid {
		t.Errorf("thread %d served again after its function said it may not", third.tid)
	}
	if third.nice != nice || third.caller != host {
		t.Errorf("new worker at nice %d (want %d), caller at %d (want %d)", third.nice, nice, third.caller, host)
	}
}
