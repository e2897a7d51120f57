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
// 0.26-1.3 s to mark, and one run in 15-30 returned timed-out calls up to
// 572 ms late, its callers waiting for the mark to end. So while calls
// stand aside at nice 19, the pool starts each collection itself, a little
// before the runtime would, with those calls raised to the guests'
// priority until it ends (yield.go): marks 87-523 ms, no run late by more
// than 47 ms in 60 (RATIONALE "Collections start with the guests raised").

// collectAt is the share of the heap's runway (from the heap left live by
// the last collection to the runtime's goal for the next) past which the
// pool starts the next collection: the runtime starts it at 70% of the
// runway at the earliest.
const collectAt = 0.6

// heapReading is what the collector reads of the runtime.
type heapReading struct {
	allocs uint64 // bytes allocated since the process started
	goal   uint64 // heap size at which the runtime wants the next collection to end
	live   uint64 // bytes the last collection left live
	cycles uint64 // collections completed
	inUse  uint64 // bytes of the heap's objects, live or not yet swept
	ok     bool   // every metric was supported
}

// collector tells when a collection is due, from the heap's growth since
// the last one.
type collector struct {
	read   func() heapReading
	cycles uint64 // collections completed when last seen
	since  uint64 // bytes allocated (about) when the last of them ended
}

func newCollector() *collector {
	c := &collector{read: newHeapReader()}
	r := c.read()
	c.cycles, c.since = r.cycles, r.allocs
	return c
}

// newHeapReader returns a reader of the runtime's heap metrics that
// allocates nothing per read.
func newHeapReader() func() heapReading {
	// In the order of heapReading's fields.
	names := []string{"/gc/heap/allocs:bytes", "/gc/heap/goal:bytes", "/gc/heap/live:bytes", "/gc/cycles/total:gc-cycles", "/memory/classes/heap/objects:bytes"}
	samples := make([]metrics.Sample, len(names))
	for i, name := range names {
		samples[i].Name = name
	}
	return func() heapReading {
		metrics.Read(samples)
		var v [5]uint64
		for i, s := range samples {
			if s.Value.Kind() != metrics.KindUint64 {
				return heapReading{}
			}
			v[i] = s.Value.Uint64()
		}
		return heapReading{allocs: v[0], goal: v[1], live: v[2], cycles: v[3], inUse: v[4], ok: true}
	}
}

// due reports whether the heap has grown by collectAt of its runway since
// the last collection ended. Never where the runtime's metrics are missing
// or collection is off (the goal is then out of reach).
func (c *collector) due() bool {
	r := c.read()
	if !r.ok {
		return false
	}
	if r.cycles != c.cycles {
		// Seen a while after it ended (the pool may have been idle): what
		// the heap holds beyond what it left live was allocated since, or
		// is not swept yet, which counts it early rather than late.
		c.cycles, c.since = r.cycles, r.allocs-min(r.allocs, r.inUse-min(r.inUse, r.live))
	}
	if r.goal <= r.live {
		return false
	}
	return float64(r.allocs-c.since) >= collectAt*float64(r.goal-r.live)
}
