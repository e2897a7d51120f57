package harness

import (
	"context"
	"fmt"
	"runtime"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// noopModule is the smallest Extism plugin: it exports a function "noop"
// that returns 0, and a memory, and imports nothing. It is written out
// here, 68 bytes, rather than built, so that `host bench` runs from the
// binary alone; plugins/wasm/examples/c-echo's noop compiles to the same
// function.
var noopModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
	0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory of one page
	0x07, 0x11, 0x02, // export section: two exports
	0x04, 'n', 'o', 'o', 'p', 0x00, 0x00, // "noop": function 0
	0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory": memory 0
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b, // code: i32.const 0, end
}

// runPlugins is scenario 4: a Wasm plugin's call in process beside
// Extism's own call of the same function, a call from the pool of warm
// instances beside a new instance per call, and calls across hosts.
func runPlugins(ctx context.Context, b *bench, s *ScenarioRun) error {
	p, err := wasm.New(ctx, wasm.Args{Module: noopModule, Memory: wasm.DefaultMemory}, wasm.Options{Name: "noop", CacheDir: "-"})
	if err != nil {
		return err
	}
	defer p.Close()
	// Extism alone, with the runtime settings the plugin uses.
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(true).WithMemoryLimitPages(wasm.DefaultMemory >> 16)
	cp, err := extism.NewCompiledPlugin(ctx, extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: noopModule}}},
		extism.PluginConfig{RuntimeConfig: rc, EnableWasi: true}, nil)
	if err != nil {
		return fmt.Errorf("harness: extism: %w", err)
	}
	defer cp.Close(ctx)
	inst, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
	if err != nil {
		return fmt.Errorf("harness: extism: %w", err)
	}
	defer inst.Close(ctx)
	in := []byte("hello")
	sandhost := func(ctx context.Context) error { _, err := p.Call(ctx, "noop", in); return err }

	group := "noop call in process"
	f, err := b.latency(ctx, Figure{Group: group, Subject: "sandhost, Plugin.Call"}, b.sz.ops*10, sandhost)
	if err != nil {
		return err
	}
	b.add(s, f)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "Extism go-sdk, CallWithContext on one instance", Baseline: true}, b.sz.ops*10,
		func(ctx context.Context) error { _, _, err := inst.CallWithContext(ctx, "noop", in); return err })
	if err != nil {
		return err
	}
	b.add(s, f)

	// What the pool saves: its checkout and return are inside every
	// Plugin.Call above; without a pool each call starts an instance.
	group = "pool checkout: a call on a warm instance"
	f, err = b.latency(ctx, Figure{Group: group, Subject: fmt.Sprintf("sandhost, pool of %d warm instances", runtime.NumCPU())},
		b.sz.ops, sandhost)
	if err != nil {
		return err
	}
	b.add(s, f)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "Extism go-sdk, a new instance per call", Baseline: true}, b.sz.ops,
		func(ctx context.Context) error {
			i, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
			if err != nil {
				return err
			}
			defer i.Close(ctx)
			_, _, err = i.CallWithContext(ctx, "noop", in)
			return err
		})
	if err != nil {
		return err
	}
	b.add(s, f)

	// Across hosts, on the embedded Redis only: the transport is the
	// registry's, measured on every deployment in scenario 3.
	maxc := 0
	for _, c := range b.sz.concurrency {
		maxc = max(maxc, c)
	}
	return crossHostCalls(ctx, b, s, deployment{"embedded", "embedded://"}, "sandhost, Wasm plugin",
		func(ctx context.Context, r *registry.Registry) (*registry.Handle, string, error) {
			args, err := wasm.Store(ctx, r, noopModule)
			if err != nil {
				return nil, "", err
			}
			h, err := r.Register(ctx, "noop", wasm.FactoryName, registry.WithArgs(args), registry.WithMaxConcurrency(maxc))
			return h, "noop", err
		})
}
