package pyexec

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// A call's end waits for a step aside already under way: what the call's
// end lets happen next (Close freeing the spares and the queues) must not
// run under a step aside still handing its slot on and replacing its
// interpreter.
func TestCallEndWaitsForAStepAsideUnderWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := &call{}
		entered, release := make(chan struct{}), make(chan struct{})
		c.mayStepAside(func() {
			close(entered)
			<-release
		})
		stood := make(chan bool, 1)
		go func() { stood <- c.stepAside() }()
		<-entered
		ended := make(chan bool, 1)
		go func() { ended <- c.ended() }()
		synctest.Wait()
		select {
		case s := <-ended:
			t.Error("the call ended while its step aside was under way")
			ended <- s
		default:
		}
		close(release)
		if !<-stood || !<-ended {
			t.Fatal("the call did not step aside")
		}
		// Too late now.
		if c.stepAside() {
			t.Fatal("stepped aside after the call ended")
		}
	})
}

// Once Close has closed the spares, a replacement or a spare asked for
// finds none (and no nil interpreter to use or close).
func TestNoSparesAfterClose(t *testing.T) {
	p := &Pool{closed: true, spares: make(chan *interp)}
	close(p.spares)
	var q queue[*interp]
	q.close()
	p.replace(&q)
	if it, err := p.spare(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("spare after Close: %v, %v", it, err)
	}
}
