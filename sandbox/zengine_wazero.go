// Code generated from engine_wazy.go by sandbox/internal/wazerogen; DO NOT EDIT.

package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	wsysfs "github.com/tetratelabs/wazero/experimental/sysfs"
	wasi "github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// wazeroEngine is a runtime of the engine, with WASI.
type wazeroEngine struct{ rt wazero.Runtime }

func newWazeroEngine(ctx context.Context, pages uint32, cacheDir string) (engine, error) {
	// wazero stops guest code at a deadline only with close-on-context-done,
	// which adds a check to every loop and function and slows guest code
	// (see RATIONALE.md).
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(pages).WithCloseOnContextDone(true)
	if cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("sandbox: compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("sandbox: wasi: %w", err)
	}
	return &wazeroEngine{rt: rt}, nil
}

func (e *wazeroEngine) close(ctx context.Context) error { return e.rt.Close(ctx) }

func (e *wazeroEngine) compile(ctx context.Context, wasm []byte) (compiled, error) {
	cm, err := e.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, err
	}
	return &wazeroCompiled{rt: e.rt, cm: cm}, nil
}

type wazeroCompiled struct {
	rt wazero.Runtime
	cm wazero.CompiledModule
}

func (c *wazeroCompiled) instantiate(ctx context.Context, ic InstanceConfig, sl *sleeper, br *bridge) (instance, error) {
	fsc := wazero.NewFSConfig()
	for _, m := range ic.Mounts {
		fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazeroReadOnlyFS(m.HostDir), m.GuestPath)
	}
	if ic.Scratch != nil {
		fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazeroScratchFS(ic.Scratch), "/tmp")
	}
	if br != nil {
		fsc = fsc.(wsysfs.FSConfig).WithSysFSMount(newWazeroBridgeFS(br), BridgeDir)
	}
	mc := wazero.NewModuleConfig().
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
		ctx = experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
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
		return nil, wazeroErr(ctx, err)
	}
	return &wazeroInstance{mod: mod, fns: map[string]api.Function{}, cow: cow}, nil
}

type wazeroInstance struct {
	mod api.Module
	fns map[string]api.Function
	cow *cowMemory // nil unless made from a snapshot
}

func (i *wazeroInstance) restoreSnapshot() error {
	if i.cow == nil {
		return ErrNoSnapshot
	}
	return i.cow.remap()
}

func (i *wazeroInstance) snapshotMemory() *cowMemory { return i.cow }

func (i *wazeroInstance) setMemoryLimit(bytes int64) error {
	if i.cow == nil {
		return ErrNoSnapshot
	}
	i.cow.setLimit(uint64(max(bytes, 0)))
	return nil
}

func (i *wazeroInstance) call(ctx context.Context, name string, args ...uint64) ([]uint64, error) {
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
		return nil, wazeroErr(ctx, err)
	}
	return res, nil
}

// wazeroErr turns an error of a call under ctx into the sandbox's. The engine
// stops a guest at ctx's end with exit codes of its own, which a guest can
// also exit with itself (os._exit(-1) is 0xffffffff): they mean the
// deadline only once ctx has ended.
func wazeroErr(ctx context.Context, err error) error {
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

func (i *wazeroInstance) read(off, n uint32) ([]byte, bool) {
	b, ok := i.mod.Memory().Read(off, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func (i *wazeroInstance) write(off uint32, b []byte) bool { return i.mod.Memory().Write(off, b) }

func (i *wazeroInstance) memSize() uint32 { return i.mod.Memory().Size() }

func (i *wazeroInstance) grow(pages uint32) bool {
	_, ok := i.mod.Memory().Grow(pages)
	return ok
}

func (i *wazeroInstance) close(ctx context.Context) error { return i.mod.Close(ctx) }
