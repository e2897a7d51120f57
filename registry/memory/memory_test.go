package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
	"github.com/sandhost/sandhost/registry/driver/drivertest"
)

// A request still queued when the namespace is reset fails with ErrLost, as
// driver.Backend.Send promises (it used to wait for its deadline).
func TestResetFailsQueuedSends(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	be, err := Driver{}.Open(ctx, "memory://reset-fails-sends", "ns")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Claim(ctx, driver.Spec{Name: "s", Owner: "h", MaxConcurrency: 1}); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := be.Send(ctx, driver.Request{ID: "r1", Queue: driver.ServiceQueue("s")})
		errc <- err
	}()
	// Nobody serves the queue: wait until the request is in it.
	s := be.(*backend).s
	for queued := false; !queued; {
		s.mu.Lock()
		queued = len(s.queues[driver.ServiceQueue("s")].items) == 1
		s.mu.Unlock()
		if !queued {
			time.Sleep(time.Millisecond) // polling a condition, not timing
		}
	}
	if _, err := be.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, driver.ErrLost) {
		t.Fatalf("Send of a request queued across a reset: %v, want ErrLost", err)
	}
}

func TestQueues(t *testing.T) {
	be, err := Driver{}.Open(context.Background(), "memory://queues", "ns")
	if err != nil {
		t.Fatal(err)
	}
	drivertest.TestQueues(t, be)
}

func TestNamespace(t *testing.T) {
	be, err := Driver{}.Open(context.Background(), "memory://namespace", "ns")
	if err != nil {
		t.Fatal(err)
	}
	drivertest.TestNamespace(t, be)
}

// A host's bell goes with the host, even when its arrivals reader reads
// again between the leave and its own end: the store lives as long as the
// process, and it used to keep a bell for every registry closed.
func TestLeftHostKeepsNoBell(t *testing.T) {
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, "memory://left-bells", "ns")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { _, err := be.Arrivals(ctx, "h"); read <- err }()
	s := be.(*backend).s
	for waiting := false; !waiting; { // until the reader waits on the bell
		s.mu.Lock()
		_, waiting = s.bells["h"]
		s.mu.Unlock()
		if !waiting {
			time.Sleep(time.Millisecond) // polling a condition, not timing
		}
	}
	if err := be.Leave(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatalf("Arrivals as its host left: %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel() // the reader's registry closing
	be.Arrivals(done, "h")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bells["h"]; ok {
		t.Fatal("the store keeps a bell for a host that left")
	}
}
