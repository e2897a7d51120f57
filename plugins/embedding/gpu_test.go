package embedding

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/sandhost/sandhost/plugins/embedding/internal/cuda"
)

// gpuService opens a service on GPU 0, or skips the test where the host has
// no usable GPU (CI); on a GPU host any failure is a test failure.
func gpuService(tb testing.TB) *Service {
	tb.Helper()
	ctx := context.Background()
	if _, err := DetectGPUs(ctx); err != nil {
		if errors.Is(err, ErrNoGPU) {
			tb.Skipf("GPU test skipped, no usable GPU here: %v", err)
		}
		tb.Fatal(err)
	}
	s, err := New(ctx, Args{Device: DeviceGPU})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// resultAsRef turns a result into the reference form checkTopK compares
// against.
func resultAsRef(r SimilarityResult) ([][]float64, [][]int) {
	s := make([][]float64, len(r.Scores))
	for i, row := range r.Scores {
		for _, v := range row {
			s[i] = append(s[i], float64(v))
		}
	}
	return s, r.Indices
}

// On integer data every score is exact on both devices, so the GPU must
// return exactly the CPU's results, ties included, for shapes that cut
// across the kernel's tiles (128×128, steps of 16), need zero, one or
// several reduction passes, and use each selection kernel (register lists
// of 1 to 32, the global-memory list above); d=3 gives thousands of ties.
func TestGPUMatchesCPUExactly(t *testing.T) {
	g := gpuService(t)
	t.Log(g.eng.name())
	t.Log(g.eng.(*gpuEngine).kernelLog())
	cpu := &Service{eng: newCPUEngine(0)}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][4]int{ // queries, corpus rows, dimensions, k
		{1, 1, 1, 1}, {3, 5, 7, 3}, {130, 1000, 17, 10}, {257, 50_000, 64, 10},
		{129, 4097, 768, 1}, {2, 40_000, 8, 1000}, {5, 100_000, 3, 100},
		{64, 30_000, 16, 32}, {64, 30_000, 16, 33}, {300, 70_000, 24, 16}, {9, 5000, 5, 2}, {40, 99_999, 3, 8},
	} {
		q, c := intMatrix(rng, sh[0], sh[2]), intMatrix(rng, sh[1], sh[2])
		for _, metric := range []string{MetricDot, MetricCosine} {
			req := SimilarityRequest{Queries: q, Corpus: &c, TopK: sh[3], Metric: metric}
			want, err := cpu.Similarity(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Similarity(context.Background(), req)
			if err != nil {
				t.Fatalf("%v %s: %v", sh, metric, err)
			}
			tol := 0.0
			if metric == MetricCosine {
				tol = 1e-6 // the one rounding of the scale differs between FMA and not
			}
			refS, refI := resultAsRef(want)
			checkTopK(t, fmt.Sprintf("%v %s", sh, metric), q, c, metric == MetricCosine, got, refS, refI, tol)
		}
	}
}

// A batch whose scores exceed the device budget runs in blocks of query
// rows (whole tiles of 128 when a block has more), with the same results.
func TestGPUQueryBlocks(t *testing.T) {
	g := gpuService(t)
	e := g.eng.(*gpuEngine)
	cpu := &Service{eng: newCPUEngine(0)}
	rng := rand.New(rand.NewPCG(37, 38))
	q, c := intMatrix(rng, 300, 40), intMatrix(rng, 5000, 40)
	for _, rows := range []int{1, 7, 200} { // 200 rows fit: blocks of 128
		e.scoreBudget = 4 * c.Rows * rows
		for _, k := range []int{5, 40} {
			req := SimilarityRequest{Queries: q, Corpus: &c, TopK: k, Metric: MetricDot}
			want, err := cpu.Similarity(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Similarity(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			refS, refI := resultAsRef(want)
			checkTopK(t, fmt.Sprintf("blocks of %d rows, k=%d", rows, k), q, c, false, got, refS, refI, 0)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Similarity(ctx, SimilarityRequest{Queries: q, Corpus: &c}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v, want context.Canceled", err)
	}
}

// On random data cosine scores agree within float32 rounding (and the
// order too, except between scores that close).
func TestGPUCosineRandom(t *testing.T) {
	g := gpuService(t)
	cpu := &Service{eng: newCPUEngine(0)}
	rng := rand.New(rand.NewPCG(23, 24))
	q, c := randMatrix(rng, 300, 768), randMatrix(rng, 30_000, 768)
	req := SimilarityRequest{Queries: q, Corpus: &c, TopK: 20}
	want, err := cpu.Similarity(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Similarity(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	refS, refI := resultAsRef(want)
	checkTopK(t, "random cosine", q, c, true, got, refS, refI, 2e-6)
}

// Products agree with the CPU's: exactly on integer data, within rounding
// on random data; every element is written (the result starts as garbage
// on the device, not zeros).
func TestGPUMatmul(t *testing.T) {
	g := gpuService(t)
	cpu := &Service{eng: newCPUEngine(0)}
	rng := rand.New(rand.NewPCG(25, 26))
	// The last shape is taller than one launch's grid can cover (its Y size
	// is at most 65,535 blocks): it used to fail with CUDA_ERROR_INVALID_VALUE.
	for _, sh := range [][3]int{{1, 1, 1}, {130, 77, 300}, {300, 1000, 33}, {256, 256, 1024}, {maxLaunchRows + 1, 8, 2}} {
		for _, random := range []bool{false, true} {
			a, b := intMatrix(rng, sh[0], sh[2]), intMatrix(rng, sh[2], sh[1])
			if random {
				a, b = randMatrix(rng, sh[0], sh[2]), randMatrix(rng, sh[2], sh[1])
			}
			req := MatmulRequest{A: a, B: b}
			want, err := cpu.Matmul(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			// Poison a first product's buffers so that a missed element shows.
			if _, err := g.Matmul(context.Background(), MatmulRequest{A: constMatrix(sh[0], sh[2], 1e30), B: constMatrix(sh[2], sh[1], 1e30)}); err != nil {
				t.Fatal(err)
			}
			got, err := g.Matmul(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for i := range want.Data {
				d := float64(got.Data[i] - want.Data[i])
				if d < 0 {
					d = -d
				}
				worst = max(worst, d)
			}
			limit := 0.0
			if random {
				limit = 1e-5 * float64(sh[2])
			}
			if worst > limit || got.Rows != want.Rows || got.Cols != want.Cols {
				t.Fatalf("%v random=%v: %d×%d, worst difference %g > %g", sh, random, got.Rows, got.Cols, worst, limit)
			}
		}
	}
}

func constMatrix(rows, cols int, v float32) Matrix {
	m := Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}

// The stored corpus, loaded in appended parts, gives what the same corpus
// given in the request gives; concurrent callers each get their own
// answer (device work is serialised, not mixed).
func TestGPUStoredCorpusConcurrentCalls(t *testing.T) {
	g := gpuService(t)
	rng := rand.New(rand.NewPCG(27, 28))
	c := intMatrix(rng, 20_000, 32)
	half := 10_000 * 32
	ctx := context.Background()
	if _, err := g.Load(ctx, LoadRequest{Corpus: Matrix{Rows: 10_000, Cols: 32, Data: c.Data[:half]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Load(ctx, LoadRequest{Corpus: Matrix{Rows: 10_000, Cols: 32, Data: c.Data[half:]}, Append: true}); err != nil {
		t.Fatal(err)
	}
	queries := make([]Matrix, 8)
	wants := make([]SimilarityResult, len(queries))
	for i := range queries {
		queries[i] = intMatrix(rng, 1+i*37, 32)
		var err error
		if wants[i], err = g.Similarity(ctx, SimilarityRequest{Queries: queries[i], Corpus: &c, TopK: 5, Metric: MetricDot}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(queries)*5)
	for i := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				got, err := g.Similarity(ctx, SimilarityRequest{Queries: queries[i], TopK: 5, Metric: MetricDot})
				if err != nil {
					errs <- err
					return
				}
				for r := range got.Indices {
					if !slices.Equal(got.Indices[r], wants[i].Indices[r]) || !slices.Equal(got.Scores[r], wants[i].Scores[r]) {
						errs <- fmt.Errorf("caller %d row %d: %v, want %v", i, r, got.Indices[r], wants[i].Indices[r])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Close gives back the device memory the service took (the corpus and the
// scratch buffers).
func TestGPUCloseFreesMemory(t *testing.T) {
	gpuService(t) // skips without a GPU
	d, err := cuda.Load()
	if err != nil {
		t.Fatal(err)
	}
	probe, err := d.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	free := func() uint64 {
		var f uint64
		if err := probe.Do(func(g *cuda.Current) error { f, _, err = g.MemInfo(); return err }); err != nil {
			t.Fatal(err)
		}
		return f
	}
	before := free()
	s, err := New(context.Background(), Args{Device: DeviceGPU})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(29, 30))
	c := randMatrix(rng, 200_000, 256) // 200 MB
	if _, err := s.Load(context.Background(), LoadRequest{Corpus: c}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Similarity(context.Background(), SimilarityRequest{Queries: randMatrix(rng, 64, 256)}); err != nil {
		t.Fatal(err)
	}
	during := free()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	after := free()
	t.Logf("free device memory: %d MiB before, %d MiB holding the corpus, %d MiB after Close", before>>20, during>>20, after>>20)
	if before-during < 200<<20 {
		t.Fatalf("the corpus should take 200 MB of device memory: %d MiB free before, %d during", before>>20, during>>20)
	}
	if after+8<<20 < before {
		t.Fatalf("Close left %d MiB allocated", (before-after)>>20)
	}
	if _, err := s.Load(context.Background(), LoadRequest{Corpus: c}); !errors.Is(err, ErrClosed) {
		t.Fatalf("load after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Matmul(context.Background(), MatmulRequest{A: c, B: c, BTransposed: true}); !errors.Is(err, ErrClosed) {
		t.Fatalf("matmul after Close: %v, want ErrClosed", err)
	}
}

// An ordinal the host lacks is ErrNoGPU, not a crash.
func TestGPUUnknownOrdinal(t *testing.T) {
	gpuService(t)
	if _, err := New(context.Background(), Args{Device: DeviceGPU, GPU: 64}); !errors.Is(err, ErrNoGPU) {
		t.Fatalf("GPU 64: %v, want ErrNoGPU", err)
	}
}
