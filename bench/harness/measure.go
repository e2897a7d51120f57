package harness

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandhost/sandhost/internal/stats"
)

// op is one operation measured.
type op func(ctx context.Context) error

// maxKept bounds the latencies a figure keeps for its charts.
const maxKept = 200

// minOps is the fewest calls a run makes, whatever its time budget.
const minOps = 10

// capped is n, or fewer calls where n would take longer than budget at the
// pace the untimed calls went (calls in took wall): on a slow deployment a
// run stops at its budget rather than taking minutes.
func capped(n, calls int, wall, budget time.Duration) int {
	if wall <= 0 || budget <= 0 {
		return n
	}
	return min(n, max(minOps, int(float64(calls)*float64(budget)/float64(wall))))
}

// sequential runs op n times, one after the other (fewer when n would
// take longer than budget), after a few untimed calls that warm
// connections and caches, and returns each call's time. ready, if not
// nil, runs untimed before each timed call (to wait for the subject to be
// ready for it).
func sequential(ctx context.Context, n int, budget time.Duration, ready, fn op) ([]time.Duration, error) {
	warm := min(n/10+1, 20)
	t0 := time.Now()
	for range warm {
		if err := fn(ctx); err != nil {
			return nil, err
		}
	}
	n = capped(n, warm, time.Since(t0), budget)
	lat := make([]time.Duration, n)
	for i := range n {
		if ready != nil {
			if err := ready(ctx); err != nil {
				return nil, err
			}
		}
		t0 := time.Now()
		if err := fn(ctx); err != nil {
			return nil, err
		}
		lat[i] = time.Since(t0)
	}
	return lat, nil
}

// concurrent runs op n times from c callers (each takes the next call as
// soon as its last one returned; fewer calls when n would take longer than
// budget), after 2c untimed calls, and returns each call's time and the
// wall time of the calls.
func concurrent(ctx context.Context, n, c int, budget time.Duration, fn op) ([]time.Duration, time.Duration, error) {
	t0 := time.Now()
	if err := spread(ctx, 2*c, c, fn, nil); err != nil {
		return nil, 0, err
	}
	n = max(capped(n, 2*c, time.Since(t0), budget), c)
	lat := make([]time.Duration, n)
	t0 = time.Now()
	err := spread(ctx, n, c, fn, lat)
	return lat, time.Since(t0), err
}

// spread runs n calls of fn from c goroutines, recording each call's time
// in lat when lat is not nil; the first error stops it.
func spread(ctx context.Context, n, c int, fn op, lat []time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := fn(ctx); err != nil {
					cancel(err)
					return
				}
				if lat != nil {
					lat[i] = time.Since(t0)
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// latency is a figure of the mode's repeated runs of n sequential calls
// (at most its run budget each): each run's median, p50 and p99 over
// every call, in ms.
func (b *bench) latency(ctx context.Context, f Figure, n int, fn op) (*Figure, error) {
	return b.latencyWhenReady(ctx, f, n, nil, fn)
}

// latencyWhenReady is latency with ready run untimed before each call.
func (b *bench) latencyWhenReady(ctx context.Context, f Figure, n int, ready, fn op) (*Figure, error) {
	var all []time.Duration
	for range b.sz.repeats {
		lat, err := sequential(ctx, n, b.sz.runBudget, ready, fn)
		if err != nil {
			return nil, err
		}
		f.Runs = append(f.Runs, ms(stats.Quantile(lat, 0.5)))
		all = append(all, lat...)
	}
	f.Unit, f.Better = "ms", "lower"
	f.setLatencies(all)
	f.Median = median(f.Runs)
	return &f, nil
}

// throughput is a figure of the mode's repeated runs of n calls from c
// callers (at most its run budget each): each run's calls per second; p50
// and p99 of the calls' latencies in ms.
func (b *bench) throughput(ctx context.Context, f Figure, n, c int, fn op) (*Figure, error) {
	var all []time.Duration
	for range b.sz.repeats {
		lat, wall, err := concurrent(ctx, n, c, b.sz.runBudget, fn)
		if err != nil {
			return nil, err
		}
		f.Runs = append(f.Runs, float64(len(lat))/wall.Seconds())
		all = append(all, lat...)
	}
	if f.Unit == "" {
		f.Unit = "ops/s"
	}
	f.Better, f.Concurrency = "higher", c
	f.setLatencies(all)
	f.Median = median(f.Runs)
	return &f, nil
}

// valueFigure is a figure of values measured once per run.
func valueFigure(f Figure, runs []float64) *Figure {
	f.Runs = runs
	f.Median = median(runs)
	return &f
}

// setLatencies records p50, p99 and an evenly spaced sample of lat.
func (f *Figure) setLatencies(lat []time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	f.P50, f.P99 = ms(stats.Quantile(s, 0.5)), ms(stats.Quantile(s, 0.99))
	step := max(1, len(s)/maxKept)
	for i := 0; i < len(s); i += step {
		f.Latencies = append(f.Latencies, ms(s[i]))
	}
}

// median of vs (the mean of the middle two for an even count).
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
