package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/samyfodil/wazy"
	"github.com/samyfodil/wazy/api"
	wasi "github.com/samyfodil/wazy/imports/wasi_snapshot_preview1"
	"github.com/samyfodil/wazy/sys"
)

// This file is the one source of both engine adapters: zengine_wazero.go is
// generated from it (by internal/wazerogen). Write it for both engines.

// wazyEngine is a runtime of the engine, with WASI.
type wazyEngine struct{ rt wazy.Runtime }

func newWazyEngine(ctx context.Context, pages uint32, cacheDir string) (engine, error) {
	// wazy checks for termination in compiled code always, so a deadline
	// stops even a loop inside C, at no cost to guest speed.
	rc := wazy.NewRuntimeConfig().WithMemoryLimitPages(pages)
	if cacheDir != "" {
		cache, err := wazy.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("sandbox: compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazy.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("sandbox: wasi: %w", err)
	}
	return &wazyEngine{rt: rt}, nil
}

func (e *wazyEngine) close(ctx context.Context) error { return e.rt.Close(ctx) }

func (e *wazyEngine) compile(ctx context.Context, wasm []byte) (compiled, error) {
	cm, err := e.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, err
	}
	return &wazyCompiled{rt: e.rt, cm: cm}, nil
}

type wazyCompiled struct {
	rt wazy.Runtime
	cm wazy.CompiledModule
}

func (c *wazyCompiled) instantiate(ctx context.Context, ic InstanceConfig, sl *sleeper, br *bridge) (instance, error) {
	fsc := wazy.NewFSConfig()
	for _, m := range ic.Mounts {
		fsc = fsc.WithSysFSMount(newWazyReadOnlyFS(m.HostDir), m.GuestPath)
	}
	if ic.Scratch != nil {
		fsc = fsc.WithSysFSMount(newWazyScratchFS(ic.Scratch), "/tmp")
	}
	if br != nil {
		fsc = fsc.WithSysFSMount(newWazyBridgeFS(br), BridgeDir)
	}
	mc := wazy.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module coexist
		WithFSConfig(fsc).
		WithStdout(ic.Stdout).WithStderr(ic.Stderr).
		WithSysWalltime().WithSysNanotime().WithNanosleep(sl.sleep).
		WithRandSource(rand.Reader).
		WithStartFunctions(ic.Start...)
	if len(ic.Args) > 0 {
		mc = mc.WithArgs(ic.Args...)
	}
	for k, v := range ic.Env {
		mc = mc.WithEnv(k, v)
	}
	var cow *cowMemory
	if ic.Snapshot != nil {
		var cowErr error
		ctx = api.WithMemoryAllocator(ctx, api.MemoryAllocatorFunc(func(_, max uint64) api.LinearMemory {
			cow, cowErr = newCowMemory(ic.Snapshot, max)
			if cowErr != nil {
				return nil
			}
			return cow
		}))
		defer func() {
			if cowErr != nil && cow != nil {
				cow.Free()
			}
		}()
	}
	mod, err := c.rt.InstantiateModule(ctx, c.cm, mc)
	if err != nil {
		return nil, wazyErr(ctx, err)
	}
	return &wazyInstance{mod: mod, fns: map[string]api.Function{}, cow: cow}, nil
}

type wazyInstance struct {
	mod api.Module
	fns map[string]api.Function
	cow *cowMemory // nil unless made from a snapshot
}

func (i *wazyInstance) restoreSnapshot() error {
	if i.cow == nil {
		return ErrNoSnapshot
	}
	return i.cow.remap()
}

func (i *wazyInstance) snapshotMemory() *cowMemory { return i.cow }

func (i *wazyInstance) setMemoryLimit(bytes int64) error {
	if i.cow == nil {
		return ErrNoSnapshot
	}
	i.cow.setLimit(uint64(max(bytes, 0)))
	return nil
}

func (i *wazyInstance) call(ctx context.Context, name string, args ...uint64) ([]uint64, error) {
	f, ok := i.fns[name]
	if !ok {
		f = i.mod.ExportedFunction(name)
		if f == nil {
			return nil, fmt.Errorf("sandbox: no exported function %q", name)
		}
		i.fns[name] = f
	}
	res, err := f.Call(ctx, args...)
	if err != nil {
		return nil, wazyErr(ctx, err)
	}
	return res, nil
}

// wazyErr turns an error of a call under ctx into the sandbox's. The engine
// stops a guest at ctx's end with exit codes of its own, which a guest can
// also exit with itself (os._exit(-1) is 0xffffffff): they mean the
// deadline only once ctx has ended.
func wazyErr(ctx context.Context, err error) error {
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			if ctx.Err() != nil {
				return fmt.Errorf("%w: %v", ErrDeadline, err)
			}
		}
		return &ExitError{Code: ee.ExitCode()}
	}
	return fmt.Errorf("%w: %v", ErrTrap, err)
}

func (i *wazyInstance) read(off, n uint32) ([]byte, bool) {
	b, ok := i.mod.Memory().Read(off, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func (i *wazyInstance) write(off uint32, b []byte) bool { return i.mod.Memory().Write(off, b) }

func (i *wazyInstance) memSize() uint32 { return i.mod.Memory().Size() }

func (i *wazyInstance) grow(pages uint32) bool {
	_, ok := i.mod.Memory().Grow(pages)
	return ok
}

func (i *wazyInstance) close(ctx context.Context) error { return i.mod.Close(ctx) }
