// Package drivertest checks that a registry backend keeps the contract of
// driver.Backend's call queues and namespace, the way testing/fstest checks
// a file system: each backend's tests run the same checks on it.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// TestQueues checks Arrivals, Receive, Send and Reply on a backend of an
// empty namespace: a request sent to a service's or a host's queue is
// reported by Arrivals to the owner, Receive takes no more than asked, waits
// only when asked to, each request is taken once, and its reply reaches its
// sender.
func TestQueues(t *testing.T, be driver.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const host = "h1"
	if _, err := be.Beat(ctx, driver.HostInfo{ID: host}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	defer be.Leave(context.Background(), host)
	if _, err := be.Claim(ctx, driver.Spec{Name: "s", Owner: host, MaxConcurrency: 1}); err != nil {
		t.Fatal(err)
	}
	svc := driver.ServiceQueue("s")
	if reqs, err := be.Receive(ctx, svc, host, 4, 0); err != nil || len(reqs) != 0 {
		t.Fatalf("Receive of an empty queue = %v, %v; want none at once", reqs, err)
	}
	if _, err := be.Receive(ctx, driver.ServiceQueue("missing"), host, 1, 0); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Receive of a queue that does not exist: %v, want ErrNotFound", err)
	}

	// Three calls, taken at most two at a time, each answered with its ID.
	const calls = 3
	var wg sync.WaitGroup
	errs := make(chan error, calls+1)
	for i := range calls {
		wg.Go(func() {
			id := fmt.Sprint("r", i)
			resp, err := be.Send(ctx, driver.Request{ID: id, Queue: svc, Method: "m"})
			if err == nil && string(resp.Payload) != id {
				err = fmt.Errorf("call %s answered %q", id, resp.Payload)
			}
			errs <- err
		})
	}
	var taken []string
	for len(taken) < calls {
		waitArrival(t, ctx, be, host, svc)
		for {
			reqs, err := be.Receive(ctx, svc, host, 2, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(reqs) > 2 {
				t.Fatalf("Receive(max 2) took %d requests", len(reqs))
			}
			for _, req := range reqs {
				taken = append(taken, req.ID)
				if err := be.Reply(ctx, req, driver.Response{ID: req.ID, Payload: []byte(req.ID)}); err != nil {
					t.Fatal(err)
				}
			}
			if len(reqs) < 2 {
				break
			}
		}
	}
	wg.Wait()
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(taken)
	if fmt.Sprint(taken) != "[r0 r1 r2]" {
		t.Fatalf("requests taken: %v, want each of r0 r1 r2 once", taken)
	}

	// A Receive that waits takes a request sent while it waits.
	got := make(chan []driver.Request, 1)
	go func() {
		reqs, err := be.Receive(ctx, svc, host, 1, time.Minute)
		if err != nil {
			t.Error(err)
		}
		got <- reqs
	}()
	go func() {
		resp, err := be.Send(ctx, driver.Request{ID: "w1", Queue: svc, Method: "m"})
		if err == nil && string(resp.Payload) != "w1" {
			err = fmt.Errorf("call w1 answered %q", resp.Payload)
		}
		errs <- err
	}()
	waited := <-got
	if len(waited) != 1 || waited[0].ID != "w1" {
		t.Fatalf("a waiting Receive took %v, want w1", waited)
	}
	if err := be.Reply(ctx, waited[0], driver.Response{ID: "w1", Payload: []byte("w1")}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}

	// The host's control queue is reported the same way.
	ctl := driver.HostQueue(host)
	go func() {
		_, err := be.Send(ctx, driver.Request{ID: "c1", Queue: ctl, Method: "start"})
		errs <- err
	}()
	waitArrival(t, ctx, be, host, ctl)
	reqs, err := be.Receive(ctx, ctl, host, 16, 0)
	if err != nil || len(reqs) != 1 || reqs[0].ID != "c1" {
		t.Fatalf("Receive of the control queue = %v, %v; want c1", reqs, err)
	}
	if err := be.Reply(ctx, reqs[0], driver.Response{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// waitArrival calls Arrivals until it reports queue. Each call waits about
// a second at most; a request not reported within ten failed the contract.
func waitArrival(t *testing.T, ctx context.Context, be driver.Backend, host, queue string) {
	t.Helper()
	for range 10 {
		queues, err := be.Arrivals(ctx, host)
		if err != nil {
			t.Fatalf("Arrivals: %v", err)
		}
		if slices.Contains(queues, queue) {
			return
		}
	}
	t.Fatalf("Arrivals never reported %s", queue)
}

// TestNamespace checks Claim, Release, Lookup, List and Names on a backend
// of an empty namespace: List and Names agree and hold the live services
// only (not one whose owner never beat), a released name is gone from
// both, and a live owner's name cannot be claimed by another host.
func TestNamespace(t *testing.T, be driver.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, host := range []string{"h1", "h2"} {
		if _, err := be.Beat(ctx, driver.HostInfo{ID: host}, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		defer be.Leave(context.Background(), host)
	}
	for _, sp := range []driver.Spec{{Name: "a", Owner: "h1"}, {Name: "b", Owner: "h1"}, {Name: "c", Owner: "h2"}, {Name: "x", Owner: "never-beat"}} {
		if _, err := be.Claim(ctx, sp); err != nil {
			t.Fatalf("Claim %s: %v", sp.Name, err)
		}
	}
	live := func(want ...string) {
		t.Helper()
		names, err := be.Names(ctx)
		if err != nil {
			t.Fatal(err)
		}
		specs, err := be.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed := make([]string, len(specs))
		for i, sp := range specs {
			listed[i] = sp.Name
		}
		slices.Sort(names)
		slices.Sort(listed)
		if !slices.Equal(names, want) || !slices.Equal(listed, want) {
			t.Fatalf("Names %v, List %v; want %v", names, listed, want)
		}
	}
	live("a", "b", "c")
	if sp, err := be.Lookup(ctx, "a"); err != nil || sp.Owner != "h1" {
		t.Fatalf("Lookup(a) = %+v, %v; want h1's", sp, err)
	}
	if _, err := be.Lookup(ctx, "x"); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Lookup of a service whose owner never beat: %v, want ErrNotFound", err)
	}
	if _, err := be.Claim(ctx, driver.Spec{Name: "a", Owner: "h2"}); !errors.Is(err, driver.ErrExists) {
		t.Fatalf("Claim of a live owner's name by another host: %v, want ErrExists", err)
	}
	if err := be.Release(ctx, "b", "h1"); err != nil {
		t.Fatal(err)
	}
	live("a", "c")
}
