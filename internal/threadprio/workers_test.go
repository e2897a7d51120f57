package threadprio_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// ran is what one function run by Workers saw of its thread.
type ran struct {
	tid, nice int
	err       error
}

// runOn runs one function on w, which says keep, and reports its thread.
func runOn(w *threadprio.Workers, keep bool) ran {
	got := make(chan ran, 1)
	w.Go(func(th threadprio.Thread) bool {
		n, err := th.Nice()
		got <- ran{tid: th.ID(), nice: n, err: err}
		return keep
	})
	return <-got
}

// threadNice is tid's nice value; gone when the thread has ended.
func threadNice(tid int) (nice int, gone bool, err error) {
	raw, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if errors.Is(err, unix.ESRCH) {
		return 0, true, nil
	}
	return 20 - raw, false, err
}

// waitForThread polls tid until ok says its state is the one wanted.
func waitForThread(t *testing.T, what string, tid int, ok func(nice int, gone bool) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nice, gone, err := threadNice(tid)
		if err != nil {
			t.Fatal(err)
		}
		if ok(nice, gone) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d: waited 10s for %s (nice %d, gone %v)", tid, what, nice, gone)
		}
		time.Sleep(time.Millisecond) // polling a state nothing signals
	}
}

// mayRestore says whether this process may set a thread's priority back.
func mayRestore(host, nice int) bool {
	ok := make(chan bool)
	go func() {
		th := threadprio.Pin() // never unpinned: the thread may be left lowered
		th.SetNice(nice)
		ok <- th.SetNice(host) == nil
	}()
	return <-ok
}

// A function runs at the workers' nice value while the rest of the
// process keeps its own; afterwards its thread is back at the host's
// priority where the process may set it back, and has ended where not.
func TestWorkersRunFunctionsBelowTheProcess(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	nice := min(host+3, threadprio.Lowest)
	w := threadprio.NewWorkers(nice, host, time.Minute)
	defer w.Close()
	r := runOn(w, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.nice != nice {
		t.Errorf("a function runs at nice %d, want %d", r.nice, nice)
	}
	if n, _ := threadprio.CurrentNice(); n != host {
		t.Errorf("the caller's thread is at nice %d, want the host's %d", n, host)
	}
	if mayRestore(host, nice) {
		waitForThread(t, "its priority back", r.tid, func(n int, gone bool) bool { return gone || n == host })
	} else {
		waitForThread(t, "it to end", r.tid, func(_ int, gone bool) bool { return gone })
	}
}

// Once a function says its thread may not serve again, that thread ends,
// and functions run on threads kept for them: an idle one serves the next
// function.
func TestWorkersKeepThreadsOnceOneCannotBeRestored(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	nice := min(host+3, threadprio.Lowest)
	w := threadprio.NewWorkers(nice, host, time.Minute)
	defer w.Close()
	lost := runOn(w, false)
	waitForThread(t, "it to end", lost.tid, func(_ int, gone bool) bool { return gone })

	first := runOn(w, true)
	if first.nice != nice {
		t.Errorf("a kept thread runs at nice %d, want %d", first.nice, nice)
	}
	// The kept thread is idle once its function has sent and it is back at
	// its receive, which a later function then finds.
	var next ran
	for range 100 {
		if next = runOn(w, true); next.tid == first.tid {
			break
		}
	}
	if next.tid != first.tid {
		t.Errorf("an idle kept thread was not reused: %d, then %d", first.tid, next.tid)
	}
	if n, gone, _ := threadNice(first.tid); gone || n != nice {
		t.Errorf("the idle kept thread: nice %d, gone %v; want nice %d", n, gone, nice)
	}
}
