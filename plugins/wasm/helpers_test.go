package wasm_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
	"github.com/sandhost/sandhost/registry"
)

// Plugins of this repository, as wasmtest builds them.
const (
	tokenizerSrc = "plugins/wasm/examples/tokenizer"
	counterSrc   = "plugins/wasm/examples/counter"
	rewardSrc    = "plugins/wasm/examples/reward"
	misbehaveSrc = "plugins/wasm/testdata/misbehave"
	slowInitSrc  = "plugins/wasm/testdata/slowinit"
)

// syncBuffer is a log sink safe for the goroutines of a registry.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// openMemory opens a host on a store of its own, logging into the
// returned buffer.
func openMemory(t testing.TB) (*registry.Registry, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	reg, err := registry.Open(context.Background(), "memory://"+t.Name(),
		registry.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg, logs
}

// register stores the plugin built from src and registers it as name.
func register(t testing.TB, reg *registry.Registry, name, src string, a wasm.Args, opts ...registry.RegisterOption) *registry.Handle {
	t.Helper()
	ctx := context.Background()
	stored, err := wasm.Store(ctx, reg, wasmtest.Build(t, src))
	if err != nil {
		t.Fatal(err)
	}
	a.ModuleSHA256 = stored.ModuleSHA256
	h, err := reg.Register(ctx, name, wasm.FactoryName, append([]registry.RegisterOption{registry.WithArgs(a)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newPlugin makes a plugin outside a registry.
func newPlugin(t testing.TB, src string, a wasm.Args) *wasm.Plugin {
	t.Helper()
	a.Module = wasmtest.Build(t, src)
	p, err := wasm.New(context.Background(), a, wasm.Options{Name: "test-" + src[len("plugins/wasm/"):]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func mustBuild(t testing.TB, src string) []byte { return wasmtest.Build(t, src) }

const (
	cEchoSrc     = "plugins/wasm/examples/c-echo"
	lifecycleSrc = "plugins/wasm/testdata/lifecycle"
)
