package pyexec

import (
	"context"
	"testing"
	"time"
)

// BenchmarkClone is what every fresh interpreter costs the pool: a clone
// made and closed, nothing run in it. The steps' shares are reported.
func BenchmarkClone(b *testing.B) {
	ctx := context.Background()
	p, err := NewPool(ctx, Options{Size: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var made, closed time.Duration
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
	b.ReportMetric(float64(made.Microseconds())/float64(b.N), "clone-µs/op")
	b.ReportMetric(float64(closed.Microseconds())/float64(b.N), "close-µs/op")
}
