// Package sandbox runs WebAssembly guests under the host's control: runtimes
// per engine and memory-limit class with an on-disk compilation cache, a
// memory limit per instance, deadlines that stop guest code (even a
// loop inside C), read-only mounts and nothing else of the host (no other
// files, no network, no inherited environment), stdout/stderr captured
// with byte caps, and, where the host gives one, a bridge file through which
// the guest asks the host while it runs (Bridge).
//
// Two engines run guests: "wazy" (the default: it stops guest code at a
// deadline always, at no cost) and "wazero" (with close-on-context-done, which
// stops it too but makes guest code slower). The API is the same for both;
// RATIONALE.md has the measurements behind the default.
package sandbox

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors of guest calls, for errors.Is.
var (
	// ErrDeadline: the call's context ended and the guest was stopped.
	// The instance is dead afterwards.
	ErrDeadline = errors.New("guest stopped at its deadline")
	// ErrExited: the guest called exit (proc_exit); the instance is dead.
	ErrExited = errors.New("guest exited")
	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, stack
	// overflow); the instance must not be used again.
	ErrTrap = errors.New("guest trapped")
	// ErrUnknownEngine: no engine of that name.
	ErrUnknownEngine = errors.New("unknown engine")
)

// ExitError carries the exit code of a guest that exited.
type ExitError struct{ Code uint32 }

func (e *ExitError) Error() string { return fmt.Sprintf("guest exited with code %d", e.Code) }

// Is makes errors.Is(err, ErrExited) hold.
func (e *ExitError) Is(target error) bool { return target == ErrExited }

// Engines lists the engines.
func Engines() []string { return []string{"wazy", "wazero"} }

// DefaultEngine is the engine used when none is named.
const DefaultEngine = "wazy"

// Option configures a Runtime.
type Option func(*config)

type config struct {
	engine   string
	memLimit int64
	cacheDir string
	logger   *slog.Logger
}

// WithEngine selects the engine ("wazy" or "wazero").
func WithEngine(name string) Option { return func(c *config) { c.engine = name } }

// WithMemoryLimit caps each instance's linear memory, in bytes (rounded down
// to 64 KiB pages; default 256 MiB).
func WithMemoryLimit(bytes int64) Option { return func(c *config) { c.memLimit = bytes } }

// WithCacheDir sets the directory of the on-disk compilation cache (default
// $SANDHOST_CACHE/wasm-compile or ~/.cache/sandhost/wasm-compile; "" off).
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// CacheRoot is sandhost's cache directory: $SANDHOST_CACHE, or
// ~/.cache/sandhost.
func CacheRoot() string {
	if d := os.Getenv("SANDHOST_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "sandhost")
	}
	return filepath.Join(os.TempDir(), "sandhost")
}

// Runtime compiles and instantiates modules for one engine and memory limit.
// It is safe for concurrent use: share one per memory-limit class, so that
// instances share compiled code. Whoever makes a runtime closes it.
type Runtime struct {
	cfg      config
	eng      engine
	cacheDir string // the engine's compilation cache, "" without one
}

// NewRuntime makes a runtime.
func NewRuntime(ctx context.Context, opts ...Option) (*Runtime, error) {
	cfg := config{engine: DefaultEngine, memLimit: 256 << 20, cacheDir: filepath.Join(CacheRoot(), "wasm-compile"), logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	pages := uint32(cfg.memLimit >> 16)
	if pages == 0 || cfg.memLimit > 4<<30 {
		return nil, fmt.Errorf("sandbox: memory limit %d bytes outside 64KiB..4GiB", cfg.memLimit)
	}
	var cacheDir string
	if cfg.cacheDir != "" {
		cacheDir = filepath.Join(cfg.cacheDir, cfg.engine)
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			cfg.logger.Warn("compilation cache disabled", "dir", cacheDir, "err", err)
			cacheDir = ""
		}
	}
	var (
		eng engine
		err error
	)
	switch cfg.engine {
	case "wazy":
		eng, err = newWazyEngine(ctx, pages, cacheDir)
	case "wazero":
		eng, err = newWazeroEngine(ctx, pages, cacheDir)
	default:
		return nil, fmt.Errorf("%w %q (engines: %v)", ErrUnknownEngine, cfg.engine, Engines())
	}
	if err != nil {
		return nil, err
	}
	return &Runtime{cfg: cfg, eng: eng, cacheDir: cacheDir}, nil
}

// Engine is the runtime's engine name.
func (r *Runtime) Engine() string { return r.cfg.engine }

// MemoryLimit is the per-instance memory cap in bytes.
func (r *Runtime) MemoryLimit() int64 { return r.cfg.memLimit &^ 0xffff }

// Close releases the runtime and everything compiled or instantiated by it.
func (r *Runtime) Close(ctx context.Context) error { return r.eng.close(ctx) }

// Module is compiled code, instantiated many times.
type Module struct {
	rt *Runtime
	cm compiled
}

// Compile compiles a module; with a warm compilation cache this is fast,
// otherwise it can take seconds for a large module, and says so in the log.
func (r *Runtime) Compile(ctx context.Context, name string, wasm []byte) (*Module, error) {
	t0 := time.Now()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(500 * time.Millisecond):
			r.cfg.logger.Info("compiling module (cached on disk for next time)", "module", name, "bytes", len(wasm), "engine", r.cfg.engine)
		}
	}()
	defer close(done)
	cm, err := r.eng.compile(ctx, wasm)
	if err != nil && r.cacheDir != "" && IsCompileCacheError(err) {
		// Neither engine deletes or skips an entry it cannot read (one
		// truncated by a crash or a full disk), so every later compile
		// would fail on it until someone deleted the cache by hand.
		r.cfg.logger.Warn("compilation cache entry unreadable: clearing the cache and compiling again", "module", name, "dir", r.cacheDir, "err", err)
		if cerr := ClearCompileCache(r.cacheDir); cerr != nil {
			err = fmt.Errorf("%w; clearing the cache: %w", err, cerr)
		} else {
			cm, err = r.eng.compile(ctx, wasm)
		}
		if err != nil {
			return nil, fmt.Errorf("sandbox: compile %s (compilation cache %s: delete it if this persists): %w", name, r.cacheDir, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: compile %s: %w", name, err)
	}
	r.cfg.logger.Debug("module compiled", "module", name, "took", time.Since(t0))
	return &Module{rt: r, cm: cm}, nil
}

// IsCompileCacheError reports whether a compile failed reading a
// compilation cache entry. Both engines (and Extism, on wazero) say so only
// in the message ("compilationcache: error reading ...", "compilationcache:
// checksum mismatch ..."), with no error value to match.
func IsCompileCacheError(err error) bool { return strings.Contains(err.Error(), "compilationcache:") }

// ClearCompileCache removes the entries of an engine's compilation cache
// directory. The engines do not say which entry failed (its name is a hash of
// engine internals), so all go: a compile each, once. Directories stay, as
// the engine's open cache writes into them, and so do other files, such as
// the temporary files of a write in progress elsewhere.
func ClearCompileCache(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && isCacheEntryName(d.Name()) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
}

// isCacheEntryName: entries are named by the hex of a sha256 key.
func isCacheEntryName(name string) bool {
	if len(name) != 64 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// Mount makes a host directory visible to the guest, read-only.
type Mount struct {
	HostDir   string
	GuestPath string
}

// InstanceConfig says what an instance sees of the host: nothing but its
// mounts, the environment given here, and where its stdout and stderr go.
// Stdin is empty.
type InstanceConfig struct {
	Name   string
	Mounts []Mount
	Env    map[string]string
	Args   []string
	// OutputCap, when positive, makes the instance keep up to that many
	// bytes of each of stdout and stderr (the rest is counted, not kept),
	// for TakeOutput; Stdout and Stderr are then unused. A guest that
	// writes without end costs bounded memory, and the overflow is
	// reported.
	OutputCap int
	// Stdout and Stderr receive the guest's fd 1 and 2 as written (default
	// discarded), when OutputCap is 0.
	Stdout io.Writer
	Stderr io.Writer
	// Start lists the functions run at instantiation ("_initialize" for a
	// reactor); none for an instance that will be given a memory snapshot.
	Start []string
	// Scratch, when set, is mounted writable at /tmp; the instance owns it
	// and removes it on Close.
	Scratch *Scratch
	// Snapshot, when set, is the instance's initial memory, mapped
	// copy-on-write (give no Start functions: the image is past them).
	Snapshot *Snapshot
	// Bridge, when set, answers the guest's requests at /dev/sandhost
	// while a call runs (see Bridge).
	Bridge Bridge
}

// Instance is one guest. It is not safe for concurrent use.
type Instance struct {
	inst           instance
	scratch        *Scratch
	sleep          *sleeper
	bridge         *bridge       // nil without InstanceConfig.Bridge
	stdout, stderr *cappedWriter // with InstanceConfig.OutputCap
}

// Instantiate creates an instance of the module.
func (m *Module) Instantiate(ctx context.Context, ic InstanceConfig) (*Instance, error) {
	var stdout, stderr *cappedWriter
	if ic.OutputCap > 0 {
		stdout, stderr = newCappedWriter(ic.OutputCap), newCappedWriter(ic.OutputCap)
		ic.Stdout, ic.Stderr = stdout, stderr
	}
	if ic.Stdout == nil {
		ic.Stdout = io.Discard
	}
	if ic.Stderr == nil {
		ic.Stderr = io.Discard
	}
	for _, mt := range ic.Mounts {
		st, err := os.Stat(mt.HostDir)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("sandbox: mount %s: not a directory", mt.HostDir)
		}
	}
	sl := &sleeper{}
	sl.set(ctx.Done())
	defer sl.set(nil)
	br := newBridge(ic.Bridge)
	br.set(ctx)
	defer br.set(nil)
	in, err := m.cm.instantiate(ctx, ic, sl, br)
	// As in Call: start functions that ran past ctx's end were stopped or
	// had their sleeps cut short, whatever they returned.
	if ctx.Err() != nil && len(ic.Start) > 0 {
		if in != nil {
			in.close(context.Background())
		}
		err = fmt.Errorf("%w: %v: %w", ErrDeadline, ic.Start, context.Cause(ctx))
	}
	if err != nil {
		if ic.Scratch != nil {
			ic.Scratch.Remove()
		}
		return nil, fmt.Errorf("sandbox: instantiate: %w", err)
	}
	return &Instance{inst: in, scratch: ic.Scratch, sleep: sl, bridge: br, stdout: stdout, stderr: stderr}, nil
}

// Output is what the guest wrote to one file descriptor, up to the cap.
type Output struct {
	Kept      []byte
	Truncated bool // more was written than the cap
}

// TakeOutput returns what the guest wrote to stdout and stderr since the
// last TakeOutput (nothing without InstanceConfig.OutputCap).
func (i *Instance) TakeOutput() (stdout, stderr Output) {
	if i.stdout == nil {
		return Output{}, Output{}
	}
	var o, e Output
	o.Kept, o.Truncated = i.stdout.Take()
	e.Kept, e.Truncated = i.stderr.Take()
	return o, e
}

// Call calls an exported function. When ctx ends the guest is stopped and
// the call returns ErrDeadline; the instance is then unusable.
func (i *Instance) Call(ctx context.Context, fn string, args ...uint64) ([]uint64, error) {
	i.sleep.set(ctx.Done())
	defer i.sleep.set(nil)
	if i.bridge != nil {
		i.bridge.set(ctx)
		defer i.bridge.set(nil)
	}
	res, err := i.inst.call(ctx, fn, args...)
	// A call that returns after its deadline counts as stopped too: its
	// sleeps were cut short, so what it computed cannot be trusted.
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrDeadline, fn, context.Cause(ctx))
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Read copies n bytes of linear memory at off.
func (i *Instance) Read(off, n uint32) ([]byte, bool) { return i.inst.read(off, n) }

// Write copies b into linear memory at off.
func (i *Instance) Write(off uint32, b []byte) bool { return i.inst.write(off, b) }

// MemorySize is the linear memory's current size in bytes.
func (i *Instance) MemorySize() uint32 { return i.inst.memSize() }

// Grow grows linear memory by delta pages.
func (i *Instance) Grow(pages uint32) bool { return i.inst.grow(pages) }

// RestoreSnapshot makes the memory read as the instance's snapshot again,
// discarding every page written since (data segments applied at
// instantiation included). It fails for an instance without a snapshot.
func (i *Instance) RestoreSnapshot() error { return i.inst.restoreSnapshot() }

// ErrNoSnapshot: the operation needs an instance made from a Snapshot.
var ErrNoSnapshot = errors.New("sandbox: instance has no snapshot")

// SetMemoryLimit caps how large the instance's memory may grow from now on,
// below the runtime's limit (0 lifts the cap). Memory never shrinks, so a cap
// under the current size only stops further growth. It needs an instance made
// from a Snapshot, whose memory sandbox manages.
func (i *Instance) SetMemoryLimit(bytes int64) error { return i.inst.setMemoryLimit(bytes) }

// Scratch is the instance's /tmp, if it has one.
func (i *Instance) Scratch() *Scratch { return i.scratch }

// Close frees the instance and removes its scratch directory.
func (i *Instance) Close(ctx context.Context) error {
	err := i.inst.close(ctx)
	if i.scratch != nil {
		i.scratch.Remove()
	}
	return err
}

// engine, compiled and instance are what each runtime implements:
// engine_wazy.go and scratch_wazy.go for wazy, and the same code generated
// for wazero (zengine_wazero.go, zscratch_wazero.go).
//
//go:generate go run ./internal/wazerogen
type engine interface {
	compile(ctx context.Context, wasm []byte) (compiled, error)
	close(ctx context.Context) error
}

type compiled interface {
	instantiate(ctx context.Context, ic InstanceConfig, sl *sleeper, br *bridge) (instance, error)
}

type instance interface {
	call(ctx context.Context, fn string, args ...uint64) ([]uint64, error)
	read(off, n uint32) ([]byte, bool)
	write(off uint32, b []byte) bool
	memSize() uint32
	grow(pages uint32) bool
	restoreSnapshot() error
	snapshotMemory() *cowMemory // nil unless made from a snapshot
	setMemoryLimit(bytes int64) error
	close(ctx context.Context) error
}
