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
