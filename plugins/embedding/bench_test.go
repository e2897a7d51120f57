package embedding

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/sandhost/sandhost/plugins/embedding/internal/cuda"
)

// The realistic batch: 256 queries against a stored 100k × 768 corpus,
// cosine, top 10.
const (
	benchQueries = 256
	benchCorpus  = 100_000
	benchDim     = 768
	benchTopK    = 10
)

// BenchmarkSimilarity times one batch end to end on each device (queries
// normalised and uploaded, scores, top-k, results), the corpus resident.
// Run it as -bench Similarity/gpu and -bench Similarity/cpu.
func BenchmarkSimilarity(b *testing.B) {
	rng := rand.New(rand.NewPCG(31, 32))
	q, c := randMatrix(rng, benchQueries, benchDim), randMatrix(rng, benchCorpus, benchDim)
	for _, device := range []string{DeviceGPU, DeviceCPU} {
		b.Run(device, func(b *testing.B) {
			s, err := New(context.Background(), Args{Device: device})
			if errors.Is(err, ErrNoGPU) {
				b.Skipf("no GPU here: %v", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Load(context.Background(), LoadRequest{Corpus: c}); err != nil {
				b.Fatal(err)
			}
			req := SimilarityRequest{Queries: q, TopK: benchTopK}
			if _, err := s.Similarity(context.Background(), req); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Similarity(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perOp*1e3, "ms/batch")
			b.ReportMetric(2*benchQueries*benchCorpus*benchDim/perOp/1e9, "GFLOP/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
		})
	}
}

// BenchmarkScoreKernel times the score kernel alone on the realistic batch
// (device-resident inputs, synchronised), for its arithmetic rate.
func BenchmarkScoreKernel(b *testing.B) {
	s := gpuService(b)
	e := s.eng.(*gpuEngine)
	rng := rand.New(rand.NewPCG(33, 34))
	q, c := randMatrix(rng, benchQueries, benchDim), randMatrix(rng, benchCorpus, benchDim)
	dc, err := e.prepare(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	defer e.release(dc)
	err = e.ctx.Do(func(g *cuda.Current) error {
		buf, err := e.scratch.ensure(g, 4*len(q.Data), 4*benchQueries*benchCorpus, 0)
		if err != nil {
			return err
		}
		return cuda.CopyToDevice(g, buf.queries, q.Data)
	})
	if err != nil {
		b.Fatal(err)
	}
	launch := func(g *cuda.Current) error {
		if err := e.launchScores(g, e.scratch.queries, dc, e.scratch.scores, benchQueries, true); err != nil {
			return err
		}
		return g.Synchronize()
	}
	if err := e.ctx.Do(launch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.ctx.Do(launch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perOp*1e3, "ms/batch")
	b.ReportMetric(2*benchQueries*benchCorpus*benchDim/perOp/1e12, "TFLOP/s")
}

// BenchmarkTopKKernel times the selection passes alone on the realistic
// batch's score matrix (top 10 of 100k per query, device-resident).
func BenchmarkTopKKernel(b *testing.B) {
	s := gpuService(b)
	e := s.eng.(*gpuEngine)
	rng := rand.New(rand.NewPCG(35, 36))
	scores := randMatrix(rng, benchQueries, benchCorpus)
	list, kernel := listCapacity(benchTopK)
	strides, left := reductionPasses(benchCorpus, list)
	b.Logf("%s passes with strides %v leave %d candidates per query", kernel, strides, left)
	err := e.ctx.Do(func(g *cuda.Current) error {
		buf, err := e.scratch.ensure(g, 4, 4*len(scores.Data), 4*benchQueries*strides[0]*list)
		if err != nil {
			return err
		}
		return cuda.CopyToDevice(g, buf.scores, scores.Data)
	})
	if err != nil {
		b.Fatal(err)
	}
	run := func(g *cuda.Current) error {
		if _, _, _, err := e.reduce(g, &e.scratch, benchQueries, benchCorpus, list, strides); err != nil {
			return err
		}
		return g.Synchronize()
	}
	b.ResetTimer()
	for b.Loop() {
		if err := e.ctx.Do(run); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/batch")
}
