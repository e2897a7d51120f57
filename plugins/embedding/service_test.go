package embedding

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/registry"
	_ "github.com/sandhost/sandhost/registry/memory"
)

func openRegistry(t *testing.T, dsn string, opts ...registry.Option) *registry.Registry {
	t.Helper()
	r, err := registry.Open(context.Background(), dsn, append([]registry.Option{registry.WithNamespace("embedding")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// The service works through the registry as a user calls it: load a corpus
// (packed, in two appended parts), search it, search an ad-hoc corpus,
// multiply matrices, and get ErrInvalid for bad requests.
func TestServiceThroughRegistry(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, "memory://embedding-service")
	h, err := r.Register(ctx, "emb", FactoryName, registry.WithArgs(Args{Device: DeviceCPU}))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	q, c := intMatrix(rng, 6, 12), intMatrix(rng, 500, 12)
	first := Matrix{Rows: 300, Cols: 12, Data: c.Data[:300*12]}
	rest := Matrix{Rows: 200, Cols: 12, Data: c.Data[300*12:]}
	if _, err := registry.CallJSON[LoadResult](ctx, h, "load", map[string]any{"corpus": first.Packed()}); err != nil {
		t.Fatal(err)
	}
	lr, err := registry.CallJSON[LoadResult](ctx, h, "load", map[string]any{"corpus": rest.RowsOf(), "append": true})
	if err != nil || lr != (LoadResult{Rows: 500, Dim: 12}) {
		t.Fatalf("load: %+v, %v", lr, err)
	}
	info, err := registry.CallJSON[Info](ctx, h, "info", nil)
	if err != nil || info != (Info{Device: "cpu", CorpusRows: 500, Dim: 12}) {
		t.Fatalf("info: %+v, %v", info, err)
	}

	stored, err := registry.CallJSON[SimilarityResult](ctx, h, "similarity", map[string]any{"queries": q.RowsOf(), "top_k": 7, "metric": "dot"})
	if err != nil {
		t.Fatal(err)
	}
	refS, refI := refTopK(q, c, false, 7)
	checkTopK(t, "stored", q, c, false, stored, refS, refI, 0)

	other := intMatrix(rng, 40, 12)
	adhoc, err := registry.CallJSON[SimilarityResult](ctx, h, "similarity", SimilarityRequest{Queries: q, Corpus: &other, TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	refS, refI = refTopK(q, other, true, 3)
	checkTopK(t, "ad hoc", q, other, true, adhoc, refS, refI, 1e-6)

	prod, err := registry.CallJSON[Matrix](ctx, h, "matmul", map[string]any{"a": [][]float32{{1, 2}, {3, 4}}, "b": [][]float32{{5, 6, 7}, {8, 9, 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(prod.Data, []float32{21, 24, 27, 47, 54, 61}) || prod.Rows != 2 || prod.Cols != 3 {
		t.Fatalf("matmul: %+v", prod)
	}

	for _, bad := range []struct{ method, payload string }{
		{"similarity", `{"queries": [[1, 2]], "metric": "euclid"}`},
		{"similarity", `{"queries": [[1, 2, 3]]}`}, // 3 dimensions against 12
		{"similarity", `{"queries": [[1, 2], [3]]}`},
		{"similarity", `{"queries": [[1, 2]], "corpus": {"rows": 2, "cols": 2, "f32": "AAAA"}}`},
		{"matmul", `{"a": [[1, 2]], "b": [[1, 2]]}`},
		{"load", `{"corpus": []}`},
	} {
		_, err := h.Call(ctx, bad.method, []byte(bad.payload))
		if !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s %s: err = %v, want ErrInvalid", bad.method, bad.payload, err)
		}
	}
	if _, err := registry.CallJSON[Info](ctx, h, "nope", nil); !errors.Is(err, registry.ErrUnknownMethod) {
		t.Errorf("unknown method: %v", err)
	}
}

// A registration that needs a GPU is placed on the host that advertises
// one, not on one that has the factory but no GPU.
func TestServicePlacedOnGPUHost(t *testing.T) {
	ctx := context.Background()
	dsn := "memory://embedding-placement"
	cpuHost := openRegistry(t, dsn, registry.AcceptPlacement(), registry.WithHostResources(registry.Resources{CPUs: 64, MemoryBytes: 1 << 40}))
	gpuHost := openRegistry(t, dsn, registry.AcceptPlacement(), registry.WithHostResources(registry.Resources{CPUs: 8, GPUs: 1, MemoryBytes: 1 << 36}))
	client := openRegistry(t, dsn, registry.ClientOnly())
	h, err := client.Register(ctx, "gpu-emb", FactoryName, registry.WithResources(registry.Resources{GPUs: 1}), registry.WithArgs(Args{Device: DeviceCPU}))
	if err != nil {
		t.Fatal(err)
	}
	if owner := h.Spec().Owner; owner != gpuHost.HostID() {
		t.Fatalf("placed on %s; the GPU host is %s, the CPU host %s", owner, gpuHost.HostID(), cpuHost.HostID())
	}
	if _, err := client.Register(ctx, "gpu-emb-2", FactoryName, registry.WithResources(registry.Resources{GPUs: 1})); !errors.Is(err, registry.ErrNoCapacity) {
		t.Fatalf("second GPU service: err = %v, want ErrNoCapacity (the one GPU is taken)", err)
	}
}

// Args are checked: an unknown device or field is ErrInvalid.
func TestServiceArgs(t *testing.T) {
	ctx := context.Background()
	r := openRegistry(t, "memory://embedding-args")
	for _, args := range []string{`{"device": "tpu"}`, `{"devise": "cpu"}`} {
		_, err := r.Register(ctx, "bad", FactoryName, registry.WithArgs(json.RawMessage(args)))
		if !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("args %s: err = %v, want ErrInvalid", args, err)
		}
	}
}

// Where no GPU is usable, asking for one fails with ErrNoGPU saying why,
// and "auto" computes on the CPU.
func TestServiceGPUAskedWhereNone(t *testing.T) {
	ctx := context.Background()
	if n, err := DetectGPUs(ctx); err == nil {
		t.Skipf("this host has %d GPU(s): TestGPU* cover it", n)
	} else if !errors.Is(err, ErrNoGPU) || n != 0 {
		t.Fatalf("DetectGPUs = %d, %v; want 0 and ErrNoGPU", n, err)
	}
	_, err := New(ctx, Args{Device: DeviceGPU})
	if !errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "libcuda") {
		t.Fatalf("New(gpu) = %v; want ErrNoGPU naming the driver library", err)
	}
	s, err := New(ctx, Args{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if info, _ := s.Info(ctx); info.Device != "cpu" {
		t.Fatalf("auto chose %q", info.Device)
	}
}

// A closed service refuses calls with ErrClosed.
func TestServiceClosed(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, Args{Device: DeviceCPU})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	q := Matrix{Rows: 1, Cols: 1, Data: []float32{1}}
	if _, err := s.Similarity(ctx, SimilarityRequest{Queries: q, Corpus: &q}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := s.Load(ctx, LoadRequest{Corpus: q}); !errors.Is(err, ErrClosed) {
		t.Fatalf("load after Close: %v", err)
	}
	// Closed comes first, whatever is asked: even a product too large to make.
	big := Matrix{Rows: 200_000, Cols: 1, Data: make([]float32, 200_000)}
	if _, err := s.Matmul(ctx, MatmulRequest{A: big, B: big, BTransposed: true}); !errors.Is(err, ErrClosed) {
		t.Fatalf("oversized matmul after Close: %v", err)
	}
	if _, err := s.Similarity(ctx, SimilarityRequest{Queries: q, Corpus: &q, Metric: "nope"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("malformed similarity after Close: %v", err)
	}
}
