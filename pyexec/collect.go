package pyexec

import (
	"runtime/metrics"
)

// Go's garbage collector scans the stack of every goroutine, and a
// running guest's only once its thread runs to a check and stops there;
// meanwhile a quarter of all Ps (24 of 98 for a pool of 32) run dedicated
// mark workers at the host's priority, and those with a guest's stack to
// scan spin until it stops. Against them a guest at nice 19 got a core
// rarely: under issue 7's workload the one collection of a run took
// 0.26-1.3 s to mark, and when the mark outlasted the heap's runway the
// goroutines that allocate, callers included, waited for it. So while the
// collector marks, calls standing aside at nice 19 run at the guests'
// priority: marks 0.18-0.57 s, and no run of 90 late by more than 85 ms
// (yield.go; RATIONALE "While the collector marks, nobody is at nice 19").

// markWatch tells whether the garbage collector is marking, from the
// runtime's count of its stop-the-world pauses: each cycle stops the world
// twice, to start the mark and to end it, so an odd count is a mark under
// way. That count is read with atomic loads alone; the count of cycles
// done, and the heap's metrics, take the heap's lock or a snapshot of
// every P's counters, which a guest's thread below the host may hold up:
// traces had the watch loop 41 and 97 ms in such reads.
type markWatch struct {
	read func() markReading
}

// markReading is what markWatch reads of the runtime.
type markReading struct {
	pauses uint64 // the collector's stop-the-world pauses, ended
	ok     bool   // the metric is supported
}

func newMarkWatch() *markWatch { return &markWatch{read: newMarkReader()} }

// newMarkReader returns a reader of the runtime's count of the collector's
// pauses that allocates nothing per read once the first has sized the
// histogram.
func newMarkReader() func() markReading {
	samples := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	return func() markReading {
		metrics.Read(samples)
		if samples[0].Value.Kind() != metrics.KindFloat64Histogram {
			return markReading{}
		}
		var pauses uint64
		for _, n := range samples[0].Value.Float64Histogram().Counts {
			pauses += n
		}
		return markReading{pauses: pauses, ok: true}
	}
}

// marking reports whether a collection is marking; false where the
// runtime's metric is missing.
func (w *markWatch) marking() bool {
	r := w.read()
	return r.ok && r.pauses%2 == 1
}
