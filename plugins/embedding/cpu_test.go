package embedding

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// The blocked, parallel product equals the naive one (integer data: exact)
// for shapes around the blocking (4 rows × 2 columns, 64-row chunks).
func TestCPUProductMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	e := newCPUEngine(3)
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {4, 2, 16}, {5, 3, 1}, {9, 130, 33}, {17, 64, 768}, {64, 129, 5}} {
		a, bT := intMatrix(rng, sh[0], sh[2]), intMatrix(rng, sh[1], sh[2])
		got, err := e.product(context.Background(), a, bT)
		if err != nil {
			t.Fatal(err)
		}
		want := refProduct(a, bT)
		if got.Rows != a.Rows || got.Cols != bT.Rows {
			t.Fatalf("%v: shape %d×%d", sh, got.Rows, got.Cols)
		}
		for i, w := range want {
			if float64(got.Data[i]) != w {
				t.Fatalf("%v: element %d = %v, want %v", sh, i, got.Data[i], w)
			}
		}
	}
}

// Dot-product search on integer data gives exactly the reference's scores
// and indices, ties included, with any number of workers.
func TestCPUSimilarityDotExactWithTies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, workers := range []int{1, 2, 7} {
		s := &Service{eng: newCPUEngine(workers)}
		for _, sh := range [][4]int{{1, 1, 1, 1}, {3, 200, 4, 10}, {6, 1000, 3, 50}, {5, 7, 2, 7}} {
			q, c := intMatrix(rng, sh[0], sh[2]), intMatrix(rng, sh[1], sh[2])
			res, err := s.Similarity(context.Background(), SimilarityRequest{Queries: q, Corpus: &c, TopK: sh[3], Metric: MetricDot})
			if err != nil {
				t.Fatal(err)
			}
			refS, refI := refTopK(q, c, false, sh[3])
			checkTopK(t, "dot", q, c, false, res, refS, refI, 0)
		}
	}
}

// Cosine search on random data matches the float64 reference within
// float32 rounding.
func TestCPUSimilarityCosine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := &Service{eng: newCPUEngine(0)}
	q, c := randMatrix(rng, 13, 96), randMatrix(rng, 2000, 96)
	c.Data[5*96] = 1e-20 // a nearly zero row among them
	for j := range 96 {
		c.Data[7*96+j] = 0 // and a zero row: cosine 0, not NaN
	}
	res, err := s.Similarity(context.Background(), SimilarityRequest{Queries: q, Corpus: &c, TopK: 25})
	if err != nil {
		t.Fatal(err)
	}
	refS, refI := refTopK(q, c, true, 25)
	checkTopK(t, "cosine", q, c, true, res, refS, refI, 1e-5)
}

// Identical corpus rows tie exactly; the lower index ranks first, and a
// top_k beyond the corpus returns all of it.
func TestCPUSimilarityIdenticalRowsTie(t *testing.T) {
	s := &Service{eng: newCPUEngine(4)}
	row := []float32{0.3, -1.7, 2.2}
	c := Matrix{Rows: 300, Cols: 3}
	for range c.Rows {
		c.Data = append(c.Data, row...)
	}
	q := Matrix{Rows: 1, Cols: 3, Data: []float32{1, 2, 3}}
	res, err := s.Similarity(context.Background(), SimilarityRequest{Queries: q, Corpus: &c, TopK: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Indices[0]) != 300 {
		t.Fatalf("%d results, want the whole corpus (300)", len(res.Indices[0]))
	}
	for r, j := range res.Indices[0] {
		if j != r || res.Scores[0][r] != res.Scores[0][0] {
			t.Fatalf("rank %d: index %d score %v (first %v)", r, j, res.Scores[0][r], res.Scores[0][0])
		}
	}
	if want := 3.5 / (math.Sqrt(14) * math.Sqrt(7.82)); math.Abs(float64(res.Scores[0][0])-want) > 1e-6 {
		t.Fatalf("score %v, want %v", res.Scores[0][0], want)
	}
}

// A call whose context has ended stops and says so.
func TestCPUSimilarityCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &Service{eng: newCPUEngine(2)}
	rng := rand.New(rand.NewPCG(9, 10))
	q, c := randMatrix(rng, 4, 8), randMatrix(rng, 1000, 8)
	if _, err := s.Similarity(ctx, SimilarityRequest{Queries: q, Corpus: &c}); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A matmul whose answer would be a memory bomb is refused before any work:
// 100k×1 by 1×100k is a small request and 10^10 values.
func TestMatmulOutputIsBounded(t *testing.T) {
	s, err := New(context.Background(), Args{Device: DeviceCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tall := Matrix{Rows: 100_000, Cols: 1, Data: make([]float32, 100_000)}
	wide := Matrix{Rows: 1, Cols: 100_000, Data: make([]float32, 100_000)}
	if _, err := s.Matmul(context.Background(), MatmulRequest{A: tall, B: wide}); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("matmul of 100000×1 by 1×100000: %v, want ErrInvalid", err)
	}
	// A B with rows and no columns holds no value and is refused at once;
	// its transpose used to loop over every row, holding the service (and
	// Close) until it ended, whatever the context said.
	hollow := Matrix{Rows: 1 << 62, Cols: 0}
	if _, err := s.Matmul(context.Background(), MatmulRequest{A: tall, B: hollow}); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("matmul by a %d×0 matrix: %v, want ErrInvalid", hollow.Rows, err)
	}
}
