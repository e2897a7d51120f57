package pyexec_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/sandbox"
)

// A call returns at its deadline even when its guest cannot notice it yet
// (here it is blocked opening a FIFO in the host, which no deadline
// interrupts; under load it is a thread waiting for a core), and the run
// slot stays taken until the guest has stopped, so Size still bounds what
// runs.
func TestCallReturnsAtItsDeadlineBeforeItsGuestStops(t *testing.T) {
	fifo, mount := fifoMount(t)
	p := newPool(t, pyexec.Options{Size: 1, Mounts: []sandbox.Mount{mount}})
	ctx := context.Background()
	first := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "open('/data/fifo').read()", pyexec.WithTimeout(200*time.Millisecond))
		first <- r
	}()
	var r pyexec.Result
	select {
	case r = <-first:
	case <-time.After(time.Minute):
		t.Fatal("the call did not return at its deadline while its guest was blocked")
	}
	if r.Failure != pyexec.FailTimeout {
		t.Fatalf("blocked call: %+v", r)
	}
	second := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "print('second')")
		second <- r
	}()
	// The blocked guest still holds the only slot: the second call waits.
	select {
	case r := <-second:
		t.Fatalf("a call ran while the timed-out guest still held the pool's only slot: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // unblocks the guest, which then sees its deadline
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if r := <-second; !r.Passed || r.Stdout != "second\n" {
		t.Fatalf("second call: %+v", r)
	}
}

// Calls that do not yield run on their caller's goroutine when the cores
// have room, except in a pool with mounts of the user's: there a guest can
// block in the host, and the call must still return at its deadline.
func TestCallsThatDoNotYieldReturnAtTheirDeadlineFromAMount(t *testing.T) {
	fifo, mount := fifoMount(t)
	p := newPool(t, pyexec.Options{Size: 2, Mounts: []sandbox.Mount{mount}})
	defer func() { // unblock the guests, so that the pool can close
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}()
	for _, c := range []struct {
		name string
		opt  pyexec.ExecOption
	}{{"shared", pyexec.Shared()}, {"session", pyexec.InSession("s")}} {
		done := make(chan pyexec.Result, 1)
		go func() {
			r, _ := p.Execute(context.Background(), "open('/data/fifo').read()", c.opt, pyexec.WithTimeout(200*time.Millisecond))
			done <- r
		}()
		select {
		case r := <-done:
			if r.Failure != pyexec.FailTimeout {
				t.Fatalf("%s call blocked in the host: %+v", c.name, r)
			}
		case <-time.After(time.Minute):
			t.Fatalf("a %s call blocked in the host did not return at its deadline", c.name)
		}
	}
}

// A call that runs on its caller's goroutine (a session call, nothing else
// running) still stops at its deadline, in a C loop as in Python.
func TestCallOnTheCallersGoroutineStopsAtItsDeadline(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	for _, code := range []string{"while True: pass", "sum(range(10**12))"} {
		start := time.Now()
		r, err := p.Execute(context.Background(), code, pyexec.InSession("s"), pyexec.WithTimeout(300*time.Millisecond))
		if err != nil || r.Failure != pyexec.FailTimeout {
			t.Fatalf("%s: %+v, %v", code, r, err)
		}
		// A generous bound: what is checked is that the call returns at
		// its deadline and not when the loop would end (never).
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("%s: returned %v after its start, its timeout 300ms", code, took)
		}
	}
}

// fifoMount makes a FIFO, fifo, in a directory mounted at /data: opening
// /data/fifo blocks a guest in the host until someone opens it to write.
func fifoMount(t *testing.T) (fifo string, m sandbox.Mount) {
	t.Helper()
	dir := t.TempDir()
	fifo = filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	return fifo, sandbox.Mount{HostDir: dir, GuestPath: "/data"}
}
