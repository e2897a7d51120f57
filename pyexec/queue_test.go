package pyexec

import (
	"context"
	"errors"
	"testing"
	"time"
)

// WaitFor is waitFor for the package's external tests.
var WaitFor = waitFor

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Waiting callers get interpreters in the order they came, whatever order
// the runtime wakes their goroutines in.
func TestQueueServesInOrder(t *testing.T) {
	var q queue[*interp]
	const n = 8
	got := make([]chan *interp, n)
	for i := range n {
		got[i] = make(chan *interp, 1)
		go func() {
			it, err := q.get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] <- it
		}()
		waitFor(t, "the caller to queue", func() bool { return q.waiters() == i+1 })
	}
	its := make([]*interp, n)
	for i := range its {
		its[i] = &interp{}
		q.put(its[i])
	}
	for i := range n {
		if it := <-got[i]; it != its[i] {
			t.Fatalf("caller %d got the interpreter put %s", i, whichOf(its, it))
		}
	}
	if q.waiters() != 0 || len(q.free) != 0 {
		t.Fatalf("%d waiters, %d free after serving everyone", q.waiters(), len(q.free))
	}
}

func whichOf(its []*interp, it *interp) string {
	for i, x := range its {
		if x == it {
			return "as number " + string(rune('0'+i))
		}
	}
	return "nowhere"
}

// queueOne starts a caller of q.get under ctx, returns once it waits in the
// (empty) queue, and says on done what its get returned.
func queueOne(ctx context.Context, t *testing.T, q *queue[*interp]) (done <-chan error) {
	t.Helper()
	ch := make(chan error, 1)
	go func() {
		_, err := q.get(ctx)
		ch <- err
	}()
	waitFor(t, "the caller to queue", func() bool { return q.waiters() == 1 })
	return ch
}

// A caller whose deadline passes while queued leaves the queue: the next
// interpreter goes to the free ones, not to it, and a later caller gets it.
func TestQueueDeadlineWhileQueued(t *testing.T) {
	var q queue[*interp]
	ctx, cancel := context.WithCancel(context.Background())
	done := queueOne(ctx, t, &q)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("get after its context ended: %v", err)
	}
	it := &interp{}
	q.put(it)
	if q.waiters() != 0 || len(q.free) != 1 {
		t.Fatalf("%d waiters, %d free: the interpreter went to a caller that gave up", q.waiters(), len(q.free))
	}
	// A call whose deadline already passed does not take it either.
	if _, err := q.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("get with an ended context: %v", err)
	}
	if got, err := q.get(context.Background()); got != it || err != nil {
		t.Fatalf("next caller got %p, %v", got, err)
	}
}

func TestQueueCloseWakesWaiters(t *testing.T) {
	var q queue[*interp]
	done := queueOne(context.Background(), t, &q)
	if free := q.close(); len(free) != 0 {
		t.Fatalf("close returned %d interpreters", len(free))
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting caller after close: %v", err)
	}
	if _, err := q.get(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}

// An item handed to a caller whose context ends as the queue closes (what
// Pool.Close does: stop every call, then close the queues) goes back to a
// closed queue, which keeps nothing: it is dropped, so that the pool frees
// it, rather than lost.
func TestQueueDropsWhatAClosedQueueCannotTake(t *testing.T) {
	var dropped []*interp
	q := queue[*interp]{drop: func(it *interp) { dropped = append(dropped, it) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := queueOne(ctx, t, &q)
	it := &interp{}
	// All at once, as far as the waiter can tell: whichever it sees first,
	// its context has ended and the queue is closed when it gives it back.
	q.mu.Lock()
	cancel()
	w := q.waiting.Remove(q.waiting.Front()).(*waiter[*interp])
	w.handed = true
	w.got <- handoff[*interp]{it, true} // what put does
	q.closed = true                     // what close does, with nothing free
	q.mu.Unlock()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("get: %v", err)
	}
	if len(dropped) != 1 || dropped[0] != it {
		t.Fatalf("dropped %v: the item handed to the caller is lost", dropped)
	}
}
