package embedding_test

import (
	"context"
	"fmt"

	"github.com/sandhost/sandhost/plugins/embedding"
	"github.com/sandhost/sandhost/registry"
)

// A corpus is loaded once and searched by later calls, from any host of
// the namespace; the device is the GPU where the host has one.
func Example() {
	ctx := context.Background()
	services, err := registry.Open(ctx, "memory://embedding-example")
	if err != nil {
		panic(err)
	}
	defer services.Close()
	search, err := services.Register(ctx, "search", embedding.FactoryName)
	if err != nil {
		panic(err)
	}
	corpus := [][]float32{{1, 0}, {0, 1}, {1, 1}}
	if _, err := registry.CallJSON[embedding.LoadResult](ctx, search, "load", map[string]any{"corpus": corpus}); err != nil {
		panic(err)
	}
	res, err := registry.CallJSON[embedding.SimilarityResult](ctx, search, "similarity",
		map[string]any{"queries": [][]float32{{1, 0.1}, {-1, 0}}, "top_k": 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Indices)
	// Output: [[0 2] [1 2]]
}

// A host advertises the GPUs it found, so that services registered with a
// GPU resource are placed on it; without a driver it advertises none.
func ExampleDetectGPUs() {
	ctx := context.Background()
	gpus, err := embedding.DetectGPUs(ctx)
	if err != nil {
		gpus = 0 // errors.Is(err, embedding.ErrNoGPU); the message says why
	}
	host, err := registry.Open(ctx, "memory://embedding-gpu-host", registry.AcceptPlacement(),
		registry.WithHostResources(registry.Resources{CPUs: 16, GPUs: gpus, MemoryBytes: 64 << 30}))
	if err != nil {
		panic(err)
	}
	defer host.Close()
	// From any process of the namespace: placed on a host with a free GPU.
	search, err := host.Register(ctx, "gpu-search", embedding.FactoryName,
		registry.WithResources(registry.Resources{GPUs: 1}), registry.WithArgs(embedding.Args{Device: embedding.DeviceGPU}))
	if err != nil {
		panic(err) // no host of the namespace has a GPU free
	}
	info, _ := registry.CallJSON[embedding.Info](ctx, search, "info", nil)
	fmt.Println(info.Device) // e.g. "gpu:0 NVIDIA H200"
}
