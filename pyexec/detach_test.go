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
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPool(t, pyexec.Options{Size: 1, Mounts: []sandbox.Mount{{HostDir: dir, GuestPath: "/data"}}})
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
