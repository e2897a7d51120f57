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
// priority (yield.go; RATIONALE "While the collector marks, nobody is at
// nice 19"). Starting each collection from the pool instead, at 60% of the
// heap's runway, needed the heap's metrics, which lag the runtime's own
// and take a snapshot of every P's counters, spinning while a guest's
// thread is mid-update: 97 ms once, in the watch loop.

// markWatch tells whether the garbage collector is marking, from the
// runtime's metrics: each cycle stops the world twice, once to start the
// mark and once to end it, and counts itself done at the second, so a
// count of collector pauses above twice the cycles done is a mark under
// way.
type markWatch struct {
	read func() markReading
}

// markReading is what markWatch reads of the runtime.
type markReading struct {
	cycles uint64 // collections completed
	pauses uint64 // the collector's stop-the-world pauses, ended
	ok     bool   // every metric was supported
}

func newMarkWatch() *markWatch { return &markWatch{read: newMarkReader()} }

// newMarkReader returns a reader of the runtime's metrics that allocates
// nothing per read once the first has sized the histogram.
func newMarkReader() func() markReading {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/pauses/total/gc:seconds"}}
	return func() markReading {
		metrics.Read(samples)
		if samples[0].Value.Kind() != metrics.KindUint64 || samples[1].Value.Kind() != metrics.KindFloat64Histogram {
			return markReading{}
		}
		var pauses uint64
		for _, n := range samples[1].Value.Float64Histogram().Counts {
			pauses += n
		}
		return markReading{cycles: samples[0].Value.Uint64(), pauses: pauses, ok: true}
	}
}

// marking reports whether a collection is marking; false where the
// runtime's metrics are missing.
func (w *markWatch) marking() bool {
	r := w.read()
	return r.ok && r.pauses > 2*r.cycles
}
