package sandbox_test

import (
	"context"
	"testing"

	"github.com/sandhost/sandhost/sandbox"
)

// BenchmarkCall is the cost of one guest call through the engine adapter
// (a function that returns at once), per engine.
func BenchmarkCall(b *testing.B) {
	for _, eng := range sandbox.Engines() {
		b.Run(eng, func(b *testing.B) {
			rt, err := sandbox.NewRuntime(context.Background(), sandbox.WithEngine(eng), sandbox.WithMemoryLimit(4<<16), sandbox.WithCacheDir(b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close(context.Background())
			mod, err := rt.Compile(context.Background(), "test", testModule())
			if err != nil {
				b.Fatal(err)
			}
			in, err := mod.Instantiate(context.Background(), sandbox.InstanceConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close(context.Background())
			ctx, cancel := context.WithCancel(context.Background()) // a context that can end, as every pool call has
			defer cancel()
			for b.Loop() {
				if _, err := in.Call(ctx, "grow", 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
