package pyexec

import (
	"os"
	"runtime"
)

// Go runs at most GOMAXPROCS goroutines at once and gives the others turns
// of 10 ms, so with 32 interpreters running on 2 cores (GOMAXPROCS 2) a
// guest whose deadline passed waited up to ~16 turns before it could
// notice: timeouts returned up to 270 ms late on a quiet 2-core machine.
// With a thread per running interpreter the kernel schedules them in finer
// slices, and the same load returned within 99–123 ms (p50 79 → 26–32 ms),
// at the same throughput. Calls standing aside (yield.go) run too, on
// threads of their own, so they count: on a quiet 2-core machine issue 7's
// workload gave 130-138 samples/s with GOMAXPROCS 34 (32 in slots) and
// 146 with 100.
//
// A running guest holds its P, so the host's own goroutines (the callers
// returning at their deadlines among them) get only the Ps that guests do
// not hold, and while the garbage collector runs, a quarter of all Ps go
// to its workers first. With room for the guests and the CPUs only
// (GOMAXPROCS 66 for Size 32, 32 standing aside), the deadlines of issue
// 7's workload held within 4-65 ms in four runs of five and 154 ms in the
// fifth; with half as many Ps again for the host, within 10-42 ms.

// ensureThreads raises GOMAXPROCS so that size guests can run at once
// beside the CPUs' worth of other Go code and the garbage collector's
// workers. It never lowers it, and leaves it alone when the GOMAXPROCS
// environment variable chose it.
func ensureThreads(size int) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if want := runtime.NumCPU() + size + size/2; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}
