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

// NeedsRaise is needsRaise for the package's external tests.
var NeedsRaise = needsRaise

// needsRaise stops a test that needs calls at the lowest priority, which
// only a process that may raise a thread again puts there, with why.
func needsRaise(t *testing.T) {
	t.Helper()
	if !threadprio.MayRaise() {
		t.Fatal("this process may not raise a thread it lowered: run the tests as root or with CAP_SYS_NICE " +
			"(without it calls stand aside at the guests' priority: TestLongCallsStandAsideWhereThreadsCannotBeRaised)")
	}
}

// While the garbage collector marks, no guest is at the lowest priority,
// so that the collector does not wait for it; it goes back once the mark
// has ended.
func TestGuestsAreRaisedWhileTheCollectorMarks(t *testing.T) {
	needsRaise(t)
	host, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	if host+guestsBelow >= threadprio.Lowest {
		t.Fatalf("the test runs at nice %d: the guests' priority is the lowest", host)
	}
	p := startPool(t, Options{Size: 1, YieldAfter: 20 * time.Millisecond})
	var marking atomic.Bool
	p.yield.marks = &markWatch{read: func() markReading {
		if marking.Load() {
			return markReading{pauses: 9, ok: true}
		}
		return markReading{pauses: 8, ok: true}
	}}
	cctx, cancel := context.WithCancel(context.Background())
	looped := make(chan Result, 1)
	go func() {
		r, _ := p.Execute(cctx, "while True: pass", WithTimeout(time.Minute))
		looped <- r
	}()
	waitFor(t, "the loop to go to the lowest priority", func() bool { return threadsAtNice(t, threadprio.Lowest) == 1 })
	marking.Store(true)
	waitFor(t, "the loop to be raised to the guests' priority while the collector marks", func() bool {
		return threadsAtNice(t, threadprio.Lowest) == 0 && threadsAtNice(t, host+guestsBelow) == 1
	})
	marking.Store(false)
	waitFor(t, "the loop to go back to the lowest priority", func() bool { return threadsAtNice(t, threadprio.Lowest) == 1 })
	cancel()
	if r := <-looped; r.Passed {
		t.Errorf("the cancelled loop: %+v", r)
	}
}

// The collector marks between the two pauses of a cycle: after an odd
// number of them; never where the metric is missing.
func TestMarkingIsAnOddPause(t *testing.T) {
	for _, c := range []struct {
		r    markReading
		want bool
	}{
		{markReading{pauses: 6, ok: true}, false},
		{markReading{pauses: 7, ok: true}, true},
		{markReading{pauses: 0, ok: true}, false},
		{markReading{pauses: 1, ok: false}, false},
	} {
		w := &markWatch{read: func() markReading { return c.r }}
		if got := w.marking(); got != c.want {
			t.Errorf("marking() with %+v = %v, want %v", c.r, got, c.want)
		}
	}
}

// The runtime has the metric markWatch reads, and a cycle counts two of
// the collector's pauses: none is left over once it has ended.
func TestMarkReaderReadsTheRuntime(t *testing.T) {
	read := newMarkReader()
	before := read()
	if !before.ok {
		t.Fatal("the runtime lacks the metric markWatch reads")
	}
	runtime.GC()
	after := read()
	if after.pauses < before.pauses+2 {
		t.Errorf("runtime.GC took the collector's pauses from %d to %d, want 2 more at least", before.pauses, after.pauses)
	}
	// Another cycle may have started since (other tests' pools allocate in
	// the background); once it ends, the count is even again.
	waitFor(t, "an even count of the collector's pauses, as after every cycle", func() bool { return read().pauses%2 == 0 })
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
