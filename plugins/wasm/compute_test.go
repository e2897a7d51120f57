package wasm_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/embedding"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

const retrieveSrc = "plugins/wasm/examples/retrieve"

// The retrieve example's search and matmul, computed by the host through
// sandhost_similarity and sandhost_matmul, give what plugins/embedding's
// CPU path gives for the same inputs: registered through the registry, the
// plugin computes on the GPU where the host has one (else the CPU), and
// given a GPU service explicitly (where there is one) it agrees too.
func TestNativeCompute(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	h := register(t, reg, "retrieve", retrieveSrc, wasm.Args{})
	t.Run("auto", func(t *testing.T) {
		checkCompute(t, func(fn string, in []byte) ([]byte, error) { return h.Call(ctx, fn, in) })
	})
	t.Run("gpu", func(t *testing.T) {
		if _, err := embedding.DetectGPUs(ctx); errors.Is(err, embedding.ErrNoGPU) {
			t.Skipf("GPU case skipped, no usable GPU here (the auto case ran on the CPU): %v", err)
		}
		gpu, err := embedding.New(ctx, embedding.Args{Device: embedding.DeviceGPU})
		if err != nil {
			t.Fatal(err)
		}
		defer gpu.Close()
		info, _ := gpu.Info(ctx)
		t.Logf("computing on %s", info.Device)
		p, err := wasm.New(ctx, wasm.Args{Module: mustBuild(t, retrieveSrc)}, wasm.Options{Name: "retrieve-gpu", Compute: gpu})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		checkCompute(t, func(fn string, in []byte) ([]byte, error) { return p.Call(ctx, fn, in) })
	})
}

// checkCompute runs the retrieve plugin's functions through call and
// compares them with the embedding service's CPU path.
func checkCompute(t *testing.T, call func(fn string, in []byte) ([]byte, error)) {
	ctx := context.Background()
	ref, err := embedding.New(ctx, embedding.Args{Device: embedding.DeviceCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	rng := rand.New(rand.NewPCG(8, 8))
	// Small integers: every sum is exact in float32 on every device, so
	// dot scores, products and the order of ties agree exactly.
	ints := func(rows, cols int) [][]float32 {
		m := make([][]float32, rows)
		for i := range m {
			m[i] = make([]float32, cols)
			for j := range m[i] {
				m[i][j] = float32(rng.IntN(9) - 4)
			}
		}
		return m
	}
	floats := func(rows, cols int) [][]float32 {
		m := make([][]float32, rows)
		for i := range m {
			m[i] = make([]float32, cols)
			for j := range m[i] {
				m[i][j] = float32(rng.NormFloat64())
			}
		}
		return m
	}
	matrix := func(rows [][]float32) embedding.Matrix {
		m, err := embedding.NewMatrix(rows)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	for _, c := range []struct {
		metric string
		docs   [][]float32
		query  []float32
		tol    float64 // relative, on scores
	}{
		{embedding.MetricDot, ints(700, 96), ints(1, 96)[0], 0},
		{embedding.MetricCosine, floats(700, 96), floats(1, 96)[0], 1e-5},
	} {
		const k = 8
		in, _ := json.Marshal(map[string]any{"query": c.query, "docs": c.docs, "k": k, "metric": c.metric})
		out, err := call("search", in)
		if err != nil {
			t.Fatalf("search (%s): %v", c.metric, err)
		}
		var got struct {
			Indices []int     `json:"indices"`
			Scores  []float32 `json:"scores"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("search (%s) output %q: %v", c.metric, out, err)
		}
		docs := matrix(c.docs)
		want, err := ref.Similarity(ctx, embedding.SimilarityRequest{Queries: matrix([][]float32{c.query}), Corpus: &docs, TopK: k, Metric: c.metric})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Indices, want.Indices[0]) {
			t.Errorf("search (%s): documents %v, the CPU reference %v", c.metric, got.Indices, want.Indices[0])
		}
		for r := range min(len(got.Scores), len(want.Scores[0])) {
			g, w := float64(got.Scores[r]), float64(want.Scores[0][r])
			if math.Abs(g-w) > c.tol*max(1, math.Abs(w)) {
				t.Errorf("search (%s): score of rank %d %v, the CPU reference %v", c.metric, r, g, w)
			}
		}
	}

	a, b := ints(17, 130), ints(130, 23)
	in, _ := json.Marshal(map[string]any{"a": a, "b": b})
	out, err := call("matmul", in)
	if err != nil {
		t.Fatalf("matmul: %v", err)
	}
	var got [][]float32
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("matmul output %q: %v", out, err)
	}
	want, err := ref.Matmul(ctx, embedding.MatmulRequest{A: matrix(a), B: matrix(b)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want.RowsOf(), slices.Equal) {
		t.Errorf("matmul: the plugin's product differs from the CPU reference")
	}

	// A request the engine refuses is an error the guest gets and reports;
	// the instance is sound.
	_, err = call("matmul", []byte(`{"a": [[1, 2, 3], [4, 5, 6]], "b": [[1], [2]]}`))
	if err == nil || !strings.Contains(err.Error(), "matmul of 2×3 by 2×1") {
		t.Errorf("matmul of mismatched shapes: %v, want the engine's message", err)
	}
	var ce *wasm.CallError
	if errors.As(err, &ce) && ce.Reason != nil {
		t.Errorf("matmul of mismatched shapes failed the instance: %v", err)
	}
	var se *registry.ServiceError
	if !errors.As(err, &ce) && !errors.As(err, &se) {
		t.Errorf("matmul of mismatched shapes: %T, want the guest's error", err)
	}
}
