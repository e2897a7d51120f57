package embedding

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// The selector keeps the k best by (score desc, index asc) whatever order
// the hits come in: ties are broken the same way on every run.
func TestSelectorOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 100, 1000} {
		for _, k := range []int{1, 3, 10, 2000} {
			hits := make([]hit, n)
			for i := range hits {
				hits[i] = hit{score: float32(rng.IntN(7)), index: int32(i)} // many ties
			}
			want := append([]hit(nil), hits...)
			sort.Slice(want, func(i, j int) bool {
				return want[i].score > want[j].score || (want[i].score == want[j].score && want[i].index < want[j].index)
			})
			want = want[:min(k, n)]
			for range 5 {
				rng.Shuffle(len(hits), func(i, j int) { hits[i], hits[j] = hits[j], hits[i] })
				s := newSelector(k)
				for _, h := range hits {
					s.offer(h)
				}
				if got := s.sorted(); !slices.Equal(got, want) {
					t.Fatalf("n=%d k=%d: got %v, want %v", n, k, got, want)
				}
			}
		}
	}
}

// -Inf and NaN never enter (the GPU's empty-slot marker, and a score with
// no order), so both devices drop the same rows.
func TestSelectorDropsNonFinite(t *testing.T) {
	s := newSelector(3)
	s.offer(hit{score: float32(math.NaN()), index: 0})
	s.offer(hit{score: negInf, index: 1})
	s.offer(hit{score: -1e30, index: 2})
	if got := s.sorted(); !slices.Equal(got, []hit{{-1e30, 2}}) {
		t.Fatalf("got %v", got)
	}
}

// The GPU's reduction passes shrink every row's candidates at least
// eightfold per pass, never below k per class, and stop at a small number
// per row.
func TestReductionPasses(t *testing.T) {
	for _, tc := range []struct{ cols, k int }{{1, 1}, {100, 10}, {100_000, 10}, {100_000, 1}, {100_000, 1000}, {1 << 24, 64}, {320, 10}, {321, 10}} {
		strides, left := reductionPasses(tc.cols, tc.k)
		cols := tc.cols
		for _, s := range strides {
			if s < 2 || s > maxStride || s*tc.k*columnsPerClass > cols {
				t.Fatalf("%+v: stride %d for %d columns", tc, s, cols)
			}
			cols = s * tc.k
		}
		if cols != left || left > max(finalCandidates*tc.k, 2*columnsPerClass*tc.k) {
			t.Fatalf("%+v: strides %v leave %d (%d)", tc, strides, left, cols)
		}
	}
}
