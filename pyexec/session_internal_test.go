package pyexec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// stuck bounds how long a test waits for a call that must return on its own
// before it calls the call stuck; far past any deadline the tests set.
const stuck = 30 * time.Second

// heldSession starts a pool (opts with a gate mount) and a call in session
// id that defines v and then holds the session's interpreter until open is
// called.
func heldSession(t *testing.T, opts Options, id string) (*Pool, func()) {
	t.Helper()
	dir := t.TempDir()
	opts.Timeout = time.Minute
	opts.Mounts = []sandbox.Mount{{HostDir: dir, GuestPath: "/gate"}}
	p, err := NewPool(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	held := make(chan heldResult, 1)
	go func() {
		r, err := p.Execute(context.Background(), "import os, time\nv = 'held'\nwhile not os.path.exists('/gate/open'): time.sleep(0.002)", InSession(id))
		held <- heldResult{r, err}
	}()
	waitFor(t, "the call to hold the session", func() bool {
		p.gate.mu.Lock()
		defer p.gate.mu.Unlock()
		return len(p.gate.free) == p.opts.Size-1
	})
	return p, func() {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "open"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if h := <-held; !h.r.Success || h.err != nil {
			t.Fatalf("the holding call: %+v %v", h.r, h.err)
		}
	}
}

// returns runs f on its own goroutine and returns its outcome, failing the
// test if f is still running after stuck.
func returns(t *testing.T, what string, f func() (Result, error)) (Result, error) {
	t.Helper()
	done := make(chan heldResult, 1)
	go func() {
		r, err := f()
		done <- heldResult{r, err}
	}()
	select {
	case h := <-done:
		return h.r, h.err
	case <-time.After(stuck):
		t.Fatalf("%s: still waiting after %v", what, stuck)
		return Result{}, nil
	}
}

// A call waiting for its session's previous call gives up at its deadline
// (the timeout, when it covers the wait, or the caller's context) with
// failure "queued", and does not run.
func TestWaitForABusySessionEndsAtTheDeadline(t *testing.T) {
	p, open := heldSession(t, Options{Size: 1}, "s")
	const timeout = 200 * time.Millisecond
	r, err := returns(t, "a call with TimeoutCoversQueue behind a busy session", func() (Result, error) {
		return p.Execute(context.Background(), "v = 'late'", InSession("s"), WithTimeout(timeout), TimeoutCoversQueue())
	})
	if err != nil || r.Failure != FailQueued || r.ReturnCode != -1 || r.Queued < timeout || r.Duration != 0 {
		t.Fatalf("queued past its timeout: %+v %v", r, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, err = returns(t, "a call with a context deadline behind a busy session", func() (Result, error) {
		return p.Execute(ctx, "v = 'late'", InSession("s"))
	})
	if err != nil || r.Failure != FailQueued || r.Duration != 0 {
		t.Fatalf("queued past its context's deadline: %+v %v", r, err)
	}
	open()
	if r, _ := p.Execute(context.Background(), "print(v)", InSession("s")); r.Stdout != "held\n" {
		t.Fatalf("the session after the calls that gave up: %+v (want them not run)", r)
	}
}

// Evicting the least recently used session does not wait for that
// session's call in flight; the evicted session's state is gone after.
func TestEvictionDoesNotWaitForTheEvictedCall(t *testing.T) {
	p, open := heldSession(t, Options{Size: 2, MaxSessions: 1}, "a")
	r, err := returns(t, "a new session evicting a busy one", func() (Result, error) {
		return p.Execute(context.Background(), "print(1)", InSession("b"))
	})
	if err != nil || !r.Success || r.Stdout != "1\n" {
		t.Fatalf("the evicting call: %+v %v", r, err)
	}
	open()
	if n := p.Sessions(); n != 1 {
		t.Fatalf("%d live sessions, want 1", n)
	}
	if r, _ := p.Execute(context.Background(), "print(v)", InSession("a")); r.Success || !strings.Contains(r.Stderr, "NameError") {
		t.Fatalf("the evicted session kept its state: %+v", r)
	}
}

// After a shared call times out, its interpreter's replacement arrives in
// the background; the next shared calls, one after the other, still see
// each other's state. The replacement went on top of the idle ones, so a
// call made after `x = 1` got the clean one and raised NameError.
func TestSharedCallsSeeEachOtherAfterAReplacement(t *testing.T) {
	p, err := NewPool(context.Background(), Options{Size: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	held := <-p.spares // no spare ready, as under load: the replacement is cloned
	defer p.addSpare(held)
	if r, _ := p.Execute(context.Background(), "while True: pass", Shared(), WithTimeout(100*time.Millisecond)); r.Failure != FailTimeout {
		t.Fatalf("the loop: %+v", r)
	}
	if r, _ := p.Execute(context.Background(), "x = 1", Shared()); !r.Passed {
		t.Fatalf("x = 1: %+v", r)
	}
	// Every shared interpreter made is idle again once the replacement has
	// come: two, or one where, on a loaded machine, the replacement came
	// before `x = 1` and served it.
	waitFor(t, "the timed-out interpreter's replacement", func() bool {
		p.mu.Lock()
		made := p.sharedMade
		p.mu.Unlock()
		p.shared.mu.Lock()
		defer p.shared.mu.Unlock()
		return len(p.shared.free) == made
	})
	if r, _ := p.Execute(context.Background(), "print(x)", Shared()); r.Stdout != "1\n" {
		t.Fatalf("a shared call after `x = 1`: %q %q, want 1", r.Stdout, r.Stderr)
	}
}

// The idle sweep judges a session stale, then ends it only if nothing used
// it since: it used to reset by ID, dropping the state a call had just made.
func TestExpirySparesASessionUsedSinceJudged(t *testing.T) {
	p, err := NewPool(context.Background(), Options{Size: 1, SessionIdle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	if r, _ := p.Execute(ctx, "x = 1", InSession("s")); !r.Passed {
		t.Fatalf("x = 1: %+v", r)
	}
	p.mu.Lock()
	judged := p.sessions["s"].Value.(*session)
	p.mu.Unlock()
	judged.used = time.Now().Add(-2 * time.Hour) // as the sweep saw it: idle
	if r, _ := p.Execute(ctx, "y = 2", InSession("s")); !r.Passed {
		t.Fatalf("y = 2: %+v", r)
	}
	p.expire(judged)
	if r, _ := p.Execute(ctx, "print(x + y)", InSession("s")); r.Stdout != "3\n" {
		t.Fatalf("the session after the sweep: %q %q, want its state kept", r.Stdout, r.Stderr)
	}
	// One still idle goes.
	p.mu.Lock()
	judged = p.sessions["s"].Value.(*session)
	p.mu.Unlock()
	judged.used = time.Now().Add(-2 * time.Hour)
	p.expire(judged)
	if n := p.Sessions(); n != 0 {
		t.Fatalf("%d sessions after an idle one expired, want 0", n)
	}
}
