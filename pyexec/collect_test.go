package pyexec

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// ThreadsAtNice is threadsAtNice for the package's external tests.
var ThreadsAtNice = threadsAtNice

// While a collection the pool started runs, no guest is at the lowest
// priority, so that the collector does not wait for it; it goes back once
// the collection has ended.
func TestGuestsAreRaisedForACollection(t *testing.T) {
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	if host+guestsBelow >= threadprio.Lowest {
		t.Fatalf("the test runs at nice %d: the guests' priority is the lowest", host)
	}
	p := startPool(t, Options{Size: 1, YieldAfter: 20 * time.Millisecond})
	var due atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	p.yield.gc = &collector{read: func() heapReading {
		if due.Load() {
			return heapReading{allocs: 100, goal: 100, ok: true}
		}
		return heapReading{}
	}}
	p.yield.runGC = func() {
		close(started)
		<-release
	}
	cctx, cancel := context.WithCancel(context.Background())
	looped := make(chan Result, 1)
	go func() {
		r, _ := p.Execute(cctx, "while True: pass", WithTimeout(time.Minute))
		looped <- r
	}()
	waitFor(t, "the loop to go to the lowest priority", func() bool { return threadsAtNice(t, threadprio.Lowest) == 1 })
	due.Store(true)
	<-started
	if low, guests := threadsAtNice(t, threadprio.Lowest), threadsAtNice(t, host+guestsBelow); low != 0 || guests != 1 {
		t.Errorf("while the pool's collection runs: %d threads at the lowest priority, %d at the guests'; want 0 and 1", low, guests)
	}
	due.Store(false)
	close(release)
	waitFor(t, "the loop to go back to the lowest priority", func() bool { return threadsAtNice(t, threadprio.Lowest) == 1 })
	cancel()
	if r := <-looped; r.Passed {
		t.Errorf("the cancelled loop: %+v", r)
	}
}

// A collection is due once the heap has grown by 60% of its runway since
// the last one ended; a collection seen late counts what the heap holds
// beyond the live bytes as grown since; never due while collection is off
// or the metrics are missing.
func TestCollectionDueAtSixtyPercentOfTheRunway(t *testing.T) {
	reading := heapReading{allocs: 1000, goal: 200, live: 100, inUse: 100, cycles: 1, ok: true}
	c := &collector{read: func() heapReading { return reading }, cycles: 1, since: 1000}
	for _, step := range []struct {
		allocs, cycles, inUse, goal uint64
		ok, want                    bool
	}{
		{allocs: 1059, cycles: 1, inUse: 159, goal: 200, ok: true, want: false},
		{allocs: 1060, cycles: 1, inUse: 160, goal: 200, ok: true, want: true},
		{allocs: 1100, cycles: 2, inUse: 100, goal: 200, ok: true, want: false}, // a collection just ended: counted from here
		{allocs: 1159, cycles: 2, inUse: 159, goal: 200, ok: true, want: false},
		{allocs: 1160, cycles: 2, inUse: 160, goal: 200, ok: true, want: true},
		{allocs: 2000, cycles: 3, inUse: 150, goal: 200, ok: true, want: false}, // seen 50 bytes late
		{allocs: 2010, cycles: 3, inUse: 160, goal: 200, ok: true, want: true},
		{allocs: 5000, cycles: 3, inUse: 160, goal: 100, ok: true, want: false}, // no runway: collection off or at its limit
		{allocs: 5000, cycles: 3, inUse: 160, goal: 200, ok: false, want: false},
	} {
		reading.allocs, reading.cycles, reading.inUse, reading.goal, reading.ok = step.allocs, step.cycles, step.inUse, step.goal, step.ok
		if got := c.due(); got != step.want {
			t.Errorf("due() at %d bytes allocated, %d in use, %d cycles, goal %d (metrics read: %v) = %v, want %v",
				step.allocs, step.inUse, step.cycles, step.goal, step.ok, got, step.want)
		}
	}
}

// The runtime has the metrics the collector reads, and they move as the
// heap does.
func TestHeapReaderReadsTheRuntime(t *testing.T) {
	read := newHeapReader()
	before := read()
	if !before.ok {
		t.Fatal("the runtime lacks a heap metric the collector reads")
	}
	runtime.GC()
	after := read()
	if after.cycles <= before.cycles {
		t.Errorf("collections completed %d before runtime.GC, %d after", before.cycles, after.cycles)
	}
	if after.goal <= after.live || after.allocs < before.allocs {
		t.Errorf("after a collection: goal %d, live %d, allocated %d (before %d)", after.goal, after.live, after.allocs, before.allocs)
	}
}

// threadsAtNice counts the process's threads at nice.
func threadsAtNice(t *testing.T, nice int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// The raw syscall returns 20 - nice.
		if raw, err := unix.Getpriority(unix.PRIO_PROCESS, tid); err == nil && 20-raw == nice {
			n++
		}
	}
	return n
}
