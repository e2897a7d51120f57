package pyexec

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkClone is what every fresh interpreter costs the pool: a clone
// made and closed, nothing run in it. Beside the wall time, the steps'
// shares and the process's CPU time per clone (user and kernel), which a
// loaded machine disturbs less.
func BenchmarkClone(b *testing.B) {
	ctx := context.Background()
	p := startPool(b, Options{Size: 1})
	var made, closed time.Duration
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		t0 := time.Now()
		it, err := p.clone(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		it.close()
		made += t1.Sub(t0)
		closed += time.Since(t1)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perOp(made), "clone-µs/op")
	b.ReportMetric(perOp(closed), "close-µs/op")
	b.ReportMetric(perOp(time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano())), "user-µs/op")
	b.ReportMetric(perOp(time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())), "sys-µs/op")
}

// BenchmarkFirstCallOnNewClone is a clone made on memory never used before
// (as at a pool's start: every clone is kept until the end, so none is
// reused), then its first call and a second one, each timed alone.
func BenchmarkFirstCallOnNewClone(b *testing.B) {
	ctx := context.Background()
	p := startPool(b, Options{Size: 1})
	const code = "import math\nx = [math.sqrt(i) for i in range(100)]\nprint(sum(x))"
	var made, first, second time.Duration
	var kept []*interp
	defer func() {
		for _, it := range kept {
			it.close()
		}
	}()
	for b.Loop() {
		t0 := time.Now()
		it, err := p.clone(ctx)
		if err != nil {
			b.Fatal(err)
		}
		kept = append(kept, it)
		t1 := time.Now()
		if _, err := it.exec(ctx, code, 1<<16, true); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := it.exec(ctx, code, 1<<16, true); err != nil {
			b.Fatal(err)
		}
		made += t1.Sub(t0)
		first += t2.Sub(t1)
		second += time.Since(t2)
	}
	perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perOp(made), "clone-µs/op")
	b.ReportMetric(perOp(first), "first-call-µs/op")
	b.ReportMetric(perOp(second), "second-call-µs/op")
}
