package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/sandhost/sandhost/plugins/embedding"
	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/sandbox"
)

// FactoryName is the name the factory is registered under.
const FactoryName = "wasm"

func init() {
	registry.RegisterFactory(FactoryName, registry.FactoryOf(func(ctx context.Context, a Args) (registry.Service, error) {
		p, err := New(ctx, a, Options{Name: registry.ServiceNameOf(ctx), Registry: registry.HostOf(ctx)})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return p, nil
	}))
}

// Options are what a plugin gets from where it runs rather than from its
// args.
type Options struct {
	// Name names the plugin in errors and logs (the service's name).
	Name string
	// Registry is the namespace the host functions reach (key-value store,
	// other services) and the module is fetched from; nil: none, and the
	// host functions that need it fail the call.
	Registry *registry.Registry
	// Logger receives sandhost_log (default: the registry's, else
	// slog.Default()).
	Logger *slog.Logger
	// CacheDir is the compilation cache (default: wasm-compile/extism
	// under sandbox.CacheRoot(); "-": none on disk).
	CacheDir string
	// Compute runs the native compute functions (sandhost_similarity,
	// sandhost_matmul); the plugin does not close it. Nil: the plugin
	// starts its own on first use (the GPU where the host has one, else
	// the CPU) and closes it with itself.
	Compute *embedding.Service
}

// Plugin is a compiled plugin and its pool of instances: a registry
// Service whose methods are the module's exported functions. It is safe
// for concurrent use; each instance serves one call at a time.
type Plugin struct {
	name      string
	sum       string
	functions []string // sorted
	timeout   time.Duration
	memory    int64
	reg       *registry.Registry
	log       *slog.Logger
	instances int
	// init is the guest runtime's initialisation, run as an instance
	// starts (see hideInitExports); "": none, or Extism runs it lazily.
	init string

	cache    wazero.CompilationCache
	cacheDir string // "" when the cache is in memory only
	compiled *extism.CompiledPlugin
	pool     *pool
	compute  *compute

	calls atomic.Uint64
}

// New compiles the module Args name and starts one instance, which checks
// that the module instantiates and has the functions Args lists.
func New(ctx context.Context, a Args, o Options) (*Plugin, error) {
	st, err := a.settings()
	if err != nil {
		return nil, err
	}
	module, err := a.moduleBytes(ctx, o.Registry)
	if err != nil {
		return nil, err
	}
	p := &Plugin{
		name:      o.Name,
		sum:       Sum(module),
		timeout:   st.timeout,
		memory:    st.memory,
		reg:       o.Registry,
		log:       o.Logger,
		instances: a.Instances,
		compute:   &compute{svc: o.Compute},
	}
	if p.name == "" {
		p.name = p.sum[:12]
	}
	if p.instances == 0 {
		p.instances = runtime.NumCPU()
	}
	if p.log == nil {
		p.log = slog.Default()
		if o.Registry != nil {
			p.log = o.Registry.Logger()
		}
	}
	p.log = p.log.With("plugin", p.name)

	rc := wazero.NewRuntimeConfig().
		// Every call's context stops the guest where it is: the plugin's
		// timeout, the caller's deadline, Close.
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(uint32((st.memory + 1<<16 - 1) >> 16))
	p.cache, p.cacheDir = openCache(o.CacheDir)
	rc = rc.WithCompilationCache(p.cache)
	module, inits := hideInitExports(module)
	var exports []string
	err = p.compileRetrying(func() (err error) {
		exports, err = exportedFunctions(ctx, rc, module)
		return err
	})
	if err != nil {
		p.closeCache()
		return nil, fmt.Errorf("wasm: plugin %q: %w", p.name, err)
	}
	// Extism runs the first that takes no parameters, which those listed do.
	for _, name := range inits {
		if slices.Contains(exports, name) {
			p.init = name
			break
		}
	}
	if p.functions, err = methods(exports, a.Functions); err != nil {
		p.closeCache()
		return nil, fmt.Errorf("wasm: plugin %q: %w", p.name, err)
	}
	manifest := extism.Manifest{
		Wasm:         []extism.Wasm{extism.WasmData{Data: module}},
		Config:       a.Config,
		AllowedPaths: a.AllowedPaths,
	}
	err = p.compileRetrying(func() (err error) {
		p.compiled, err = extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{RuntimeConfig: rc, EnableWasi: true}, p.hostFunctions())
		return err
	})
	if err != nil {
		p.closeCache()
		return nil, fmt.Errorf("wasm: plugin %q: compile: %w", p.name, err)
	}
	p.pool = newPool(p.newInstance, p.instances)
	// The first instance is started through the pool, so Stats counts it.
	inst, err := p.pool.get(ctx)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("wasm: plugin %q: %w", p.name, err)
	}
	p.pool.put(inst)
	return p, nil
}

// openCache opens the compilation cache: on disk, or in memory only for
// "-" (still shared by the two compiles of New); dir is "" for the latter.
func openCache(dir string) (wazero.CompilationCache, string) {
	switch dir {
	case "-":
		return wazero.NewCompilationCache(), ""
	case "":
		dir = filepath.Join(sandbox.CacheRoot(), "wasm-compile", "extism")
	}
	c, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return wazero.NewCompilationCache(), "" // an unwritable cache is slower, not fatal
	}
	return c, dir
}

func (p *Plugin) closeCache() { p.cache.Close(context.Background()) }

// compileRetrying runs compile, and once more after clearing the cache when
// it failed on an entry it could not read: wazero neither deletes nor skips
// such an entry (one cut short by a crash or a full disk), so every later
// compile of the module (or of Extism's kernel) would fail on it.
func (p *Plugin) compileRetrying(compile func() error) error {
	err := compile()
	if err == nil || p.cacheDir == "" || !sandbox.IsCompileCacheError(err) {
		return err
	}
	p.log.Warn("compilation cache entry unreadable: clearing the cache and compiling again", "dir", p.cacheDir, "err", err)
	if cerr := sandbox.ClearCompileCache(p.cacheDir); cerr != nil {
		return fmt.Errorf("%w; clearing the cache %s: %w", err, p.cacheDir, cerr)
	}
	if err := compile(); err != nil {
		return fmt.Errorf("%w (compilation cache %s: delete it if this persists)", err, p.cacheDir)
	}
	return nil
}

// exportedFunctions lists the functions Extism can call: no parameters,
// no result or an i32 one. With the plugin's own runtime config and cache,
// this compile is the one NewCompiledPlugin reuses.
func exportedFunctions(ctx context.Context, rc wazero.RuntimeConfig, module []byte) ([]string, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, module)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var out []string
	for name, def := range cm.ExportedFunctions() {
		if len(def.ParamTypes()) == 0 && len(def.ResultTypes()) <= 1 {
			out = append(out, name)
		}
	}
	return out, nil
}

// runtimeExport reports whether an export belongs to the guest's runtime
// or to Extism rather than to the plugin's author.
func runtimeExport(name string) bool {
	return strings.HasPrefix(name, "_") || name == "hs_init" || strings.HasPrefix(name, "extism_")
}

// methods picks the exports that become methods.
func methods(exports, want []string) ([]string, error) {
	if len(want) == 0 {
		var out []string
		for _, e := range exports {
			if !runtimeExport(e) {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: the module exports no function Extism can call", registry.ErrInvalid)
		}
		slices.Sort(out)
		return out, nil
	}
	for _, w := range want {
		if !slices.Contains(exports, w) {
			slices.Sort(exports)
			return nil, fmt.Errorf("%w: function %q is not exported (exports: %v)", registry.ErrInvalid, w, exports)
		}
	}
	out := slices.Clone(want)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Functions lists the plugin's methods, sorted.
func (p *Plugin) Functions() []string { return slices.Clone(p.functions) }

// Version is the module's sha256 (hex).
func (p *Plugin) Version() string { return p.sum }

// MaxConcurrency implements registry.ConcurrencyHint: Args.Instances,
// the most instances busy at once.
func (p *Plugin) MaxConcurrency() int { return p.instances }

// Stats are a plugin's counters.
type Stats struct {
	Calls     uint64 `json:"calls"`
	Idle      int    `json:"idle"`      // warm instances waiting
	Created   uint64 `json:"created"`   // instances started
	Discarded uint64 `json:"discarded"` // instances dropped after a failure or the guest's exit
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	s := p.pool.stats()
	s.Calls = p.calls.Load()
	return s
}

// Call implements registry.Service: it runs the exported function method
// with payload as its input, on a warm instance, and returns its output.
func (p *Plugin) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	if _, ok := slices.BinarySearch(p.functions, method); !ok {
		if method == InfoMethod {
			return p.info(ctx)
		}
		return nil, fmt.Errorf("%w %q (methods: %v)", registry.ErrUnknownMethod, method, p.functions)
	}
	inst, err := p.pool.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &CallError{Plugin: p.name, Function: method, Reason: ErrTimeout, Err: deadlineError(ctx)}
		}
		if errors.Is(err, ErrClosed) {
			return nil, fmt.Errorf("wasm plugin %q: %w", p.name, err)
		}
		return nil, &CallError{Plugin: p.name, Function: method, Reason: ErrTrap, Err: err}
	}
	// The plugin's timeout bounds its run, not the wait for an instance
	// (a replacement being started after a failure is queueing): only the
	// caller's deadline bounds that.
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, p.timeout, fmt.Errorf("plugin timeout %v", p.timeout))
		defer cancel()
	}
	p.calls.Add(1)
	inst.stderr.reset()
	rc, out, err := inst.ext.CallWithContext(ctx, method, payload)
	if err == nil {
		p.release(inst)
		if rc != 0 {
			return nil, &CallError{Plugin: p.name, Function: method, Err: fmt.Errorf("returned %d", rc)}
		}
		return out, nil
	}
	reason, detail := p.classify(ctx, inst, err)
	if reason == nil {
		p.release(inst)
	} else {
		p.pool.discard(inst)
	}
	return nil, &CallError{Plugin: p.name, Function: method, Reason: reason, Err: detail}
}

// release gives back the instance of a call that ended as the guest meant:
// to the pool, or, when the guest exited with status 0, for a replacement
// (the call's result stands: it is what the guest left before it exited).
func (p *Plugin) release(inst *instance) {
	if inst.exited.Load() {
		p.pool.discard(inst)
		return
	}
	p.pool.put(inst)
}

// classify says why a call failed: nil when the guest reported an error
// itself (the instance is sound), else the machine's reason, with what the
// guest wrote to stderr.
func (p *Plugin) classify(ctx context.Context, inst *instance, err error) (reason, detail error) {
	if ctx.Err() != nil {
		return ErrTimeout, deadlineError(ctx)
	}
	var exit *sys.ExitError
	if !errors.As(err, &exit) {
		if msg := inst.ext.GetError(); msg != "" && msg == err.Error() {
			return nil, err
		}
	}
	if tail := strings.TrimSpace(inst.stderr.String()); tail != "" {
		err = fmt.Errorf("%w; stderr: %s", err, tail)
	}
	if inst.stderr.oom {
		return ErrMemory, err
	}
	return ErrTrap, err
}

// deadlineError is the context's error (which the registry maps to
// ErrDeadlineExceeded) with its cause when that says more.
func deadlineError(ctx context.Context) error {
	if c := context.Cause(ctx); c != ctx.Err() {
		return fmt.Errorf("%w: %w", ctx.Err(), c)
	}
	return ctx.Err()
}

// Close stops calls in flight (they fail with ErrTimeout or ErrTrap),
// closes every instance and frees the compiled module.
func (p *Plugin) Close() error {
	if !p.pool.close() {
		return nil
	}
	err := p.compiled.Close(context.Background())
	p.closeCache()
	return errors.Join(err, p.compute.close())
}
