package wasm_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
	"github.com/sandhost/sandhost/registry"
)

// The call benchmarks run one function on a warm instance in process:
// Plugin.Call (pool, classification, counters) beside Extism's own call of
// the same function with the same runtime settings, for a C noop (the
// floor) and a Go echo (a go-pdk guest's own cost dominates).
var callCases = []struct{ name, src, fn string }{
	{"c-noop", cEchoSrc, "noop"},
	{"go-echo", misbehaveSrc, "ok"},
}

func BenchmarkCall(b *testing.B) {
	for _, c := range callCases {
		b.Run(c.name, func(b *testing.B) {
			p := newPlugin(b, c.src, wasm.Args{Instances: 1})
			ctx := context.Background()
			in := []byte("hello")
			b.ResetTimer()
			for range b.N {
				if _, err := p.Call(ctx, c.fn, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExtismCall(b *testing.B) {
	for _, c := range callCases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(true)
			cp, err := extism.NewCompiledPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasmtest.Build(b, c.src)}}},
				extism.PluginConfig{RuntimeConfig: rc, EnableWasi: true}, stubHostFunctions())
			if err != nil {
				b.Fatal(err)
			}
			defer cp.Close(ctx)
			inst, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer inst.Close(ctx)
			in := []byte("hello")
			b.ResetTimer()
			for range b.N {
				if _, _, err := inst.CallWithContext(ctx, c.fn, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCallConcurrent reports calls/s of 1 and 32 callers on a pool
// of the default size (one instance per CPU): callers beyond it wait.
func BenchmarkCallConcurrent(b *testing.B) {
	p := newPlugin(b, misbehaveSrc, wasm.Args{})
	ctx := context.Background()
	benchConcurrent(b, func() error {
		_, err := p.Call(ctx, "ok", []byte("x"))
		return err
	})
}

// BenchmarkCallAcrossHosts is BenchmarkCallConcurrent with the plugin on a
// `host serve` process and the callers in this one, a client of the same
// redis-server: each call is a request and a reply through Redis.
func BenchmarkCallAcrossHosts(b *testing.B) {
	ctx := context.Background()
	srv := testredis.Start(b)
	const ns = "bench"
	testhost.Start(b, srv.URL(), ns)
	client, err := registry.Open(ctx, srv.URL(), registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	h := register(b, client, "misbehave", misbehaveSrc, wasm.Args{})
	benchConcurrent(b, func() error {
		_, err := h.Call(ctx, "ok", []byte("x"))
		return err
	})
}

// benchConcurrent runs call b.N times from 1 and from 32 goroutines and
// reports calls/s.
func benchConcurrent(b *testing.B, call func() error) {
	for _, c := range []int{1, 32} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			run := func(n int64) {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range c {
					wg.Go(func() {
						for next.Add(1) <= n {
							if err := call(); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			run(int64(4 * c)) // the pool warm, as a serving host's is
			b.ResetTimer()
			start := time.Now()
			run(int64(b.N))
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}
}

// BenchmarkInstanceStart is what the pool hides: starting an instance of
// a compiled plugin and running its first call (the guest runtime's init).
func BenchmarkInstanceStart(b *testing.B) {
	ctx := context.Background()
	cp, err := extism.NewCompiledPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasmtest.Build(b, misbehaveSrc)}}},
		extism.PluginConfig{EnableWasi: true}, stubHostFunctions())
	if err != nil {
		b.Fatal(err)
	}
	defer cp.Close(ctx)
	b.ResetTimer()
	for range b.N {
		inst, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := inst.CallWithContext(ctx, "ok", nil); err != nil {
			b.Fatal(err)
		}
		inst.Close(ctx)
	}
}

// stubHostFunctions satisfy the imports of plugins that use the guest
// package, for Extism used without sandhost.
func stubHostFunctions() []extism.HostFunction {
	ptr := extism.ValueTypePTR
	nop := func(context.Context, *extism.CurrentPlugin, []uint64) {}
	return []extism.HostFunction{
		extism.NewHostFunctionWithStack(wasm.FuncLog, nop, []extism.ValueType{extism.ValueTypeI64, ptr}, nil),
		extism.NewHostFunctionWithStack(wasm.FuncKVGet, nop, []extism.ValueType{ptr}, []extism.ValueType{ptr}),
		extism.NewHostFunctionWithStack(wasm.FuncKVSet, nop, []extism.ValueType{ptr, ptr}, nil),
		extism.NewHostFunctionWithStack(wasm.FuncCall, nop, []extism.ValueType{ptr, ptr, ptr}, []extism.ValueType{ptr}),
		extism.NewHostFunctionWithStack(wasm.FuncSimilarity, nop, []extism.ValueType{ptr}, []extism.ValueType{ptr}),
		extism.NewHostFunctionWithStack(wasm.FuncMatmul, nop, []extism.ValueType{ptr}, []extism.ValueType{ptr}),
	}
}

// BenchmarkNew is starting a plugin service (compile, first instance) for
// the Go tokenizer: with no disk cache, and with a warm one.
func BenchmarkNew(b *testing.B) {
	module := wasmtest.Build(b, tokenizerSrc)
	warm := b.TempDir()
	for _, c := range []struct{ name, dir string }{{"no-cache", "-"}, {"disk-cache", warm}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			for i := -1; i < b.N; i++ {
				if i == 0 {
					b.ResetTimer() // the first round fills the cache
				}
				p, err := wasm.New(ctx, wasm.Args{Module: module}, wasm.Options{CacheDir: c.dir})
				if err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
	}
}
