package pyexec_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/threadprio"
	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/sandbox"
)

// A call that has used more than YieldAfter of CPU runs at the lowest
// priority, so that quick calls beside it get the cores first; once it ends
// (here at its deadline) no thread of the host is left at that priority to
// run other work.
func TestLongCallYieldsToShortOnes(t *testing.T) {
	pyexec.NeedsRaise(t)
	p := newPool(t, pyexec.Options{Size: 2, YieldAfter: 20 * time.Millisecond})
	if n := lowestPriorityThreads(t); n != 0 {
		t.Fatalf("%d threads at the lowest priority before any call", n)
	}
	loop := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "while True: pass", pyexec.WithTimeout(time.Minute))
		loop <- r
	}()
	pyexec.WaitFor(t, "the looping call's thread to be lowered", func() bool { return lowestPriorityThreads(t) == 1 })
	if r := run(t, p, "print(6*7)"); !r.Passed || r.Stdout != "42\n" {
		t.Fatalf("quick call beside the loop: %+v", r)
	}
	if n := lowestPriorityThreads(t); n != 1 {
		t.Fatalf("%d threads at the lowest priority while one call loops and a quick one has ended", n)
	}
	// The loop ends at its deadline (a cancelled context here).
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		r, _ := p.Execute(cctx, "while True: pass", pyexec.WithTimeout(time.Minute))
		loop <- r
	}()
	pyexec.WaitFor(t, "the second looping call's thread to be lowered", func() bool { return lowestPriorityThreads(t) == 2 })
	cancel()
	if r := <-loop; r.Passed {
		t.Fatalf("cancelled loop: %+v", r)
	}
	p.Close() // ends the first loop
	<-loop
	pyexec.WaitFor(t, "no thread left at the lowest priority", func() bool { return lowestPriorityThreads(t) == 0 })
}

// A call that has run long steps aside: it goes on at the lowest priority
// until its deadline, and its run slot goes to the next call, so that loops
// do not hold the pool's slots from quick answers for their whole timeout.
// At most Size calls stand aside at once.
func TestLongCallsStepAside(t *testing.T) {
	pyexec.NeedsRaise(t)
	p := newPool(t, pyexec.Options{Size: 1, YieldAfter: 20 * time.Millisecond})
	loops := make(chan pyexec.Result, 2)
	loop := func() {
		r, _ := p.Execute(ctx, "while True: pass", pyexec.WithTimeout(2*time.Minute))
		loops <- r
	}
	go loop()
	pyexec.WaitFor(t, "the loop to be lowered", func() bool { return lowestPriorityThreads(t) == 1 })
	// The loop stands aside: a quick call gets the only slot.
	r := run(t, p, "print(6*7)", pyexec.TimeoutCoversQueue(), pyexec.WithTimeout(30*time.Second))
	if !r.Passed || r.Stdout != "42\n" {
		t.Fatalf("quick call beside a loop standing aside: %+v", r)
	}
	select {
	case r := <-loops:
		t.Fatalf("the loop ended: %+v", r)
	default:
	}
	// A second loop is lowered but cannot stand aside: Size (1) of them
	// already do, so it keeps the slot.
	go loop()
	pyexec.WaitFor(t, "the second loop to be lowered", func() bool { return lowestPriorityThreads(t) == 2 })
	if r := run(t, p, "print(1)", pyexec.TimeoutCoversQueue(), pyexec.WithTimeout(time.Second)); r.Failure != pyexec.FailQueued {
		t.Fatalf("a call ran while Size loops stood aside and another held the slot: %+v", r)
	}
}

// Only the isolated model's calls yield: a loop in a shared interpreter,
// a fresh one or a session keeps its priority and its slot.
func TestOtherModelsDoNotYield(t *testing.T) {
	for _, model := range []struct {
		name        string
		loop, quick pyexec.ExecOption
	}{
		{"shared", pyexec.Shared(), pyexec.Shared()},
		{"fresh", pyexec.Fresh(), pyexec.Fresh()},
		{"session", pyexec.InSession("a"), pyexec.InSession("b")},
	} {
		t.Run(model.name, func(t *testing.T) {
			// The loop first opens a FIFO, so the test knows when it runs.
			dir := t.TempDir()
			fifo := filepath.Join(dir, "started")
			if err := syscall.Mkfifo(fifo, 0o644); err != nil {
				t.Fatal(err)
			}
			p := newPool(t, pyexec.Options{Size: 1, YieldAfter: 20 * time.Millisecond,
				Mounts: []sandbox.Mount{{HostDir: dir, GuestPath: "/data"}}})
			cctx, cancel := context.WithCancel(ctx)
			looped := make(chan struct{})
			go func() {
				defer close(looped)
				p.Execute(cctx, "open('/data/started').read()\nwhile True: pass", model.loop, pyexec.WithTimeout(2*time.Minute))
			}()
			defer func() { cancel(); <-looped }()
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once the loop has opened it
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			// The loop runs (its slot is taken) for much longer than YieldAfter.
			if r := run(t, p, "print(1)", model.quick, pyexec.TimeoutCoversQueue(), pyexec.WithTimeout(time.Second)); r.Failure != pyexec.FailQueued {
				t.Fatalf("a call ran beside a %s loop on a pool of 1: %+v", model.name, r)
			}
			if n := lowestPriorityThreads(t); n != 0 {
				t.Fatalf("%d threads lowered by a %s call", n, model.name)
			}
		})
	}
}

// With YieldAfter negative every call keeps the normal priority.
func TestYieldingOff(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1, YieldAfter: -1})
	r, err := p.Execute(ctx, "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint('done')")
	if err != nil || !r.Passed {
		t.Fatalf("%+v %v", r, err)
	}
	// The guest thread is gone or back in Go's pool; had it been lowered
	// it would have been pinned and is checked while it ran below.
	done := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(ctx, "while True: pass", pyexec.WithTimeout(500*time.Millisecond))
		done <- r
	}()
	for {
		select {
		case r := <-done:
			if r.Failure != pyexec.FailTimeout {
				t.Fatalf("loop: %+v", r)
			}
			return
		default:
		}
		if n := lowestPriorityThreads(t); n != 0 {
			t.Fatalf("%d threads lowered with yielding off", n)
		}
		time.Sleep(5 * time.Millisecond) // polling the state, not waiting for it
	}
}

// When the cores are busy, a guest that has run a while runs below the
// host's priority, in every state model, so that the host's threads (those
// returning calls at their deadlines among them) come first; the host's
// own threads keep theirs, and a guest's thread leaves that priority when
// its call ends.
func TestGuestsRunBelowTheHost(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	if host+1 > threadprio.Lowest {
		t.Fatalf("the test runs at nice %d: nothing is below it", host)
	}
	// One loop more than there are CPUs: the last to start finds the cores
	// busy.
	n := runtime.NumCPU() + 1
	p := newPool(t, pyexec.Options{Size: n, YieldAfter: -1})
	for _, model := range []struct {
		name string
		opt  func(i int) pyexec.ExecOption
	}{
		{"isolated", func(int) pyexec.ExecOption { return pyexec.WithTimeout(time.Minute) }},
		{"fresh", func(int) pyexec.ExecOption { return pyexec.Fresh() }},
		{"session", func(i int) pyexec.ExecOption { return pyexec.InSession(fmt.Sprint("s", i)) }},
	} {
		cctx, cancel := context.WithCancel(ctx)
		looped := make(chan struct{}, n)
		for i := range n {
			go func() {
				defer func() { looped <- struct{}{} }()
				p.Execute(cctx, "while True: pass", model.opt(i), pyexec.WithTimeout(time.Minute))
			}()
		}
		pyexec.WaitFor(t, model.name+": a guest's thread to go below the host", func() bool { return pyexec.ThreadsAtNice(t, host+5) >= 1 })
		mine, _ := threadprio.CurrentNice()
		cancel()
		for range n {
			<-looped
		}
		if mine != host {
			t.Errorf("%s: the caller's thread is at nice %d, the host's is %d", model.name, mine, host)
		}
		// Once the guests have stopped their threads are back at the
		// host's priority, or have ended where they may not be set back.
		pyexec.WaitFor(t, model.name+": the guests' threads to leave the guests' priority", func() bool { return pyexec.ThreadsAtNice(t, host+5) == 0 })
	}
}

// unprivilegedEnv marks the run of this test binary that
// TestLongCallsStandAsideWhereThreadsCannotBeRaised makes without
// CAP_SYS_NICE.
const unprivilegedEnv = "PYEXEC_TEST_WITHOUT_SYS_NICE"

// In a process that may not raise a thread again (a container's default:
// no CAP_SYS_NICE, RLIMIT_NICE 0), a long call still stands aside from its
// run slot, but at the guests' priority: no thread goes to the lowest,
// where nothing could raise it for the collector or its deadline, and the
// lowered thread ends with its call. Where this process may raise threads,
// the test runs itself again without that right (prlimit and setpriv are
// util-linux's, which every Debian system has).
func TestLongCallsStandAsideWhereThreadsCannotBeRaised(t *testing.T) {
	if threadprio.MayRaise() {
		if os.Getenv(unprivilegedEnv) != "" {
			t.Fatal("without CAP_SYS_NICE and with RLIMIT_NICE 0 the process may still raise threads")
		}
		cmd := exec.Command("prlimit", "--nice=0:0", "setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice",
			os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), unprivilegedEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
			t.Fatalf("the test without CAP_SYS_NICE: %v\n%s", err, out)
		}
		return
	}
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	if host+5 >= threadprio.Lowest {
		t.Fatalf("the test runs at nice %d: the guests' priority is the lowest", host)
	}
	p := newPool(t, pyexec.Options{Size: 1, YieldAfter: 20 * time.Millisecond})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	looped := make(chan pyexec.Result, 1)
	go func() {
		r, _ := p.Execute(cctx, "while True: pass", pyexec.WithTimeout(time.Minute))
		looped <- r
	}()
	pyexec.WaitFor(t, "the loop to go below the host", func() bool { return pyexec.ThreadsAtNice(t, host+5) == 1 })
	// The loop stands aside: a quick call gets the only slot.
	if r := run(t, p, "print(6*7)", pyexec.TimeoutCoversQueue(), pyexec.WithTimeout(30*time.Second)); !r.Passed || r.Stdout != "42\n" {
		t.Fatalf("a quick call beside the loop: %+v", r)
	}
	if n := lowestPriorityThreads(t); n != 0 {
		t.Errorf("%d threads at the lowest priority while the loop stands aside", n)
	}
	cancel()
	if r := <-looped; r.Passed {
		t.Errorf("the cancelled loop: %+v", r)
	}
	pyexec.WaitFor(t, "the loop's thread, which cannot be set back, to end", func() bool { return pyexec.ThreadsAtNice(t, host+5) == 0 })
}

// lowestPriorityThreads counts the process's threads at nice 19.
func lowestPriorityThreads(t *testing.T) int {
	t.Helper()
	return pyexec.ThreadsAtNice(t, threadprio.Lowest)
}
