package embedding

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// cpuEngine computes on the CPU with one goroutine per core, each taking
// chunks of corpus rows in turn. Scores are register-blocked dot products
// (4 queries × 2 corpus rows per pass over the vectors: 8 sums in flight,
// within amd64's 15 free vector registers).
type cpuEngine struct {
	workers int
}

// cpuChunk is how many corpus rows a worker scores at a time: 64 rows of
// 768 floats are 192 KiB, which stay in L2 while every query passes.
const cpuChunk = 64

func newCPUEngine(workers int) *cpuEngine {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &cpuEngine{workers: workers}
}

func (e *cpuEngine) name() string { return "cpu" }

func (e *cpuEngine) close() error { return nil }

func (e *cpuEngine) prepare(_ context.Context, m Matrix) (*corpus, error) { return newCorpus(m), nil }

func (e *cpuEngine) release(*corpus) {}

// chunks runs fn on [lo, hi) ranges of 0..n in parallel, stopping early
// when ctx ends; fn gets its worker's number.
func (e *cpuEngine) chunks(ctx context.Context, n int, fn func(worker, lo, hi int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(e.workers, (n+cpuChunk-1)/cpuChunk)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				lo := int(next.Add(cpuChunk)) - cpuChunk
				if lo >= n {
					return
				}
				fn(w, lo, min(lo+cpuChunk, n))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (e *cpuEngine) topK(ctx context.Context, q Matrix, c *corpus, normalizedScores bool, k int) ([][]hit, error) {
	workers := min(e.workers, (c.m.Rows+cpuChunk-1)/cpuChunk)
	sels := make([][]selector, workers)
	bufs := make([][]float32, workers)
	for w := range sels {
		sels[w] = make([]selector, q.Rows)
		for i := range sels[w] {
			sels[w][i] = newSelector(k)
		}
		bufs[w] = make([]float32, q.Rows*cpuChunk)
	}
	err := e.chunks(ctx, c.m.Rows, func(w, lo, hi int) {
		buf, width := bufs[w], hi-lo
		scoreBlock(buf, width, q, 0, q.Rows, c.m, lo, hi)
		for i := range q.Rows {
			sel, row := &sels[w][i], buf[i*width:(i+1)*width]
			for j, s := range row {
				if normalizedScores {
					s *= c.invNorm[lo+j]
				}
				sel.offer(hit{score: s, index: int32(lo + j)})
			}
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([][]hit, q.Rows)
	for i := range out {
		all := newSelector(k)
		for w := range sels {
			for _, h := range sels[w][i].heap {
				all.offer(h)
			}
		}
		out[i] = all.sorted()
	}
	return out, nil
}

func (e *cpuEngine) product(ctx context.Context, a, bT Matrix) (Matrix, error) {
	out := Matrix{Rows: a.Rows, Cols: bT.Rows, Data: make([]float32, a.Rows*bT.Rows)}
	err := e.chunks(ctx, bT.Rows, func(_, lo, hi int) {
		// Columns lo..hi of every output row: disjoint between workers.
		scoreBlock(out.Data[lo:], out.Cols, a, 0, a.Rows, bT, lo, hi)
	})
	if err != nil {
		return Matrix{}, err
	}
	return out, nil
}

// scoreBlock writes dot(a_i, b_j) to dst[(i-i0)*ld + (j-j0)] for i in
// [i0, i1) and j in [j0, j1). Sums run in index order with float32
// accumulators, like the GPU kernel (whose order differs only by fusing
// multiply and add).
func scoreBlock(dst []float32, ld int, a Matrix, i0, i1 int, b Matrix, j0, j1 int) {
	d := a.Cols
	i := i0
	for ; i+4 <= i1; i += 4 {
		a0, a1, a2, a3 := a.Row(i), a.Row(i+1), a.Row(i+2), a.Row(i+3)
		o := (i - i0) * ld
		j := j0
		for ; j+2 <= j1; j += 2 {
			b0, b1 := b.Row(j), b.Row(j+1)
			b0, b1 = b0[:d], b1[:d]
			a0, a1, a2, a3 := a0[:d], a1[:d], a2[:d], a3[:d]
			var s00, s01, s10, s11, s20, s21, s30, s31 float32
			for k := range d {
				x0, x1 := b0[k], b1[k]
				s00 += a0[k] * x0
				s01 += a0[k] * x1
				s10 += a1[k] * x0
				s11 += a1[k] * x1
				s20 += a2[k] * x0
				s21 += a2[k] * x1
				s30 += a3[k] * x0
				s31 += a3[k] * x1
			}
			c := j - j0
			dst[o+c], dst[o+c+1] = s00, s01
			dst[o+ld+c], dst[o+ld+c+1] = s10, s11
			dst[o+2*ld+c], dst[o+2*ld+c+1] = s20, s21
			dst[o+3*ld+c], dst[o+3*ld+c+1] = s30, s31
		}
		for ; j < j1; j++ {
			for r := range 4 {
				dst[o+r*ld+j-j0] = dot(a.Row(i+r), b.Row(j))
			}
		}
	}
	for ; i < i1; i++ {
		o := (i - i0) * ld
		for j := j0; j < j1; j++ {
			dst[o+j-j0] = dot(a.Row(i), b.Row(j))
		}
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for k, v := range x {
		s += v * y[k]
	}
	return s
}
