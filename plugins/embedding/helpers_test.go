package embedding

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// randMatrix has normally distributed entries.
func randMatrix(rng *rand.Rand, rows, cols int) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// intMatrix has small integer entries: float32 sums of their products are
// exact in any order, so every device must give the same scores, and ties
// are frequent.
func intMatrix(rng *rand.Rand, rows, cols int) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(rng.IntN(5) - 2)
	}
	return m
}

// refTopK is the straightforward computation: every score in float64, all
// sorted by (score descending, index ascending), the first k kept.
func refTopK(q, c Matrix, cosine bool, k int) ([][]float64, [][]int) {
	scores := make([][]float64, q.Rows)
	idx := make([][]int, q.Rows)
	for i := range q.Rows {
		type sc struct {
			s float64
			j int
		}
		all := make([]sc, c.Rows)
		for j := range c.Rows {
			var dot, nq, nc float64
			for t := range q.Cols {
				a, b := float64(q.Data[i*q.Cols+t]), float64(c.Data[j*c.Cols+t])
				dot += a * b
				nq += a * a
				nc += b * b
			}
			if cosine {
				if nq == 0 || nc == 0 {
					dot = 0
				} else {
					dot /= math.Sqrt(nq) * math.Sqrt(nc)
				}
			}
			all[j] = sc{dot, j}
		}
		sort.Slice(all, func(x, y int) bool {
			return all[x].s > all[y].s || (all[x].s == all[y].s && all[x].j < all[y].j)
		})
		for _, e := range all[:min(k, len(all))] {
			scores[i] = append(scores[i], e.s)
			idx[i] = append(idx[i], e.j)
		}
	}
	return scores, idx
}

// refProduct is a·bᵀ in float64.
func refProduct(a, bT Matrix) []float64 {
	out := make([]float64, a.Rows*bT.Rows)
	for i := range a.Rows {
		for j := range bT.Rows {
			var s float64
			for t := range a.Cols {
				s += float64(a.Data[i*a.Cols+t]) * float64(bT.Data[j*bT.Cols+t])
			}
			out[i*bT.Rows+j] = s
		}
	}
	return out
}

// checkTopK compares a result with the reference: scores within tol, and
// the same indices except where two candidates' reference scores are
// within tol of each other (a near-tie that float32 rounding may order
// either way). With tol 0 everything must be identical.
func checkTopK(t *testing.T, what string, q, c Matrix, cosine bool, res SimilarityResult, refS [][]float64, refI [][]int, tol float64) {
	t.Helper()
	if len(res.Indices) != q.Rows || len(res.Scores) != q.Rows {
		t.Fatalf("%s: %d result rows for %d queries", what, len(res.Indices), q.Rows)
	}
	for i := range q.Rows {
		if len(res.Indices[i]) != len(refI[i]) {
			t.Fatalf("%s: query %d: %d results, want %d", what, i, len(res.Indices[i]), len(refI[i]))
		}
		for r := range refI[i] {
			got, want := res.Indices[i][r], refI[i][r]
			if d := math.Abs(float64(res.Scores[i][r]) - refS[i][r]); d > tol {
				t.Fatalf("%s: query %d rank %d: score %v, want %v (off by %g > %g)", what, i, r, res.Scores[i][r], refS[i][r], d, tol)
			}
			if got == want {
				continue
			}
			if tol == 0 {
				t.Fatalf("%s: query %d rank %d: index %d, want %d (scores %v)", what, i, r, got, want, refS[i][:r+1])
			}
			// Near-tie: the returned row's true score must be that close.
			gs, _ := refTopK(Matrix{Rows: 1, Cols: q.Cols, Data: q.Row(i)}, Matrix{Rows: 1, Cols: c.Cols, Data: c.Row(got)}, cosine, 1)
			if d := math.Abs(gs[0][0] - refS[i][r]); d > 2*tol {
				t.Fatalf("%s: query %d rank %d: index %d (score %v), want %d (score %v)", what, i, r, got, gs[0][0], want, refS[i][r])
			}
		}
	}
}
