package wasm

import (
	"context"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
)

// BenchmarkPoolTake is taking a warm instance from the pool and giving it
// back: the cost a call pays instead of starting an instance.
func BenchmarkPoolTake(b *testing.B) {
	ctx := context.Background()
	p, err := New(ctx, Args{Module: wasmtest.Build(b, "plugins/wasm/testdata/misbehave"), Instances: 1}, Options{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ResetTimer()
	for range b.N {
		inst, err := p.pool.get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.pool.put(inst)
	}
}
