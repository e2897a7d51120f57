package pyexec

import (
	"context"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// Where the process may not raise a thread it lowered (a container without
// CAP_SYS_NICE), a long call stands aside at the guests' priority, never
// the lowest, from which nothing could raise it for the collector or its
// deadline; its slot still goes to the next call, and its thread ends with
// it.
func TestCallsStandAsideAtTheGuestsPriorityWhereThreadsCannotBeRaised(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	if host+guestsBelow >= threadprio.Lowest {
		t.Fatalf("the test runs at nice %d: the guests' priority is the lowest", host)
	}
	p := startPool(t, Options{Size: 1, YieldAfter: 20 * time.Millisecond})
	p.yield = newYielder(p.opts.YieldAfter, p.opts.maxAside(), true, false, p.opts.Logger)
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	looped := make(chan Result, 1)
	go func() {
		r, _ := p.Execute(cctx, "while True: pass", WithTimeout(time.Minute))
		looped <- r
	}()
	waitFor(t, "the loop to stand aside", func() bool {
		p.yield.mu.Lock()
		defer p.yield.mu.Unlock()
		return p.yield.aside == 1
	})
	if n := threadsAtNice(t, threadprio.Lowest); n != 0 {
		t.Errorf("%d threads at the lowest priority", n)
	}
	if n := threadsAtNice(t, host+guestsBelow); n != 1 {
		t.Errorf("%d threads at the guests' priority, want the loop's", n)
	}
	r, err := p.Execute(context.Background(), "print(6*7)", TimeoutCoversQueue(), WithTimeout(30*time.Second))
	if err != nil || !r.Passed || r.Stdout != "42\n" {
		t.Fatalf("a quick call beside the loop standing aside: %+v, %v", r, err)
	}
	cancel()
	if r := <-looped; r.Passed {
		t.Errorf("the cancelled loop: %+v", r)
	}
	waitFor(t, "the loop's thread, which could not be set back, to end", func() bool { return threadsAtNice(t, host+guestsBelow) == 0 })
}
