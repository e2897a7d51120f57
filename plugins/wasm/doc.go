// Package wasm runs Extism WebAssembly plugins as registry services
// (factory "wasm").
//
// A plugin's module is stored once in the namespace under its sha256
// ([Store]), so any host it is placed on fetches and runs it without shared
// files. Each service compiles its module once (an Extism CompiledPlugin,
// through the on-disk compilation cache under ~/.cache/sandhost) and keeps
// a pool of ready instances: a call takes a warm instance, runs one
// exported function, and gives it back. An instance is warm before any
// call has it: the guest runtime's initialisation (a WASI reactor's
// _initialize, for Go its runtime and package init), which Extism would run
// inside the instance's first call, runs as the instance starts. An
// instance that traps, runs past its timeout or exceeds its memory is
// discarded and replaced; the caller gets a [*CallError] naming the plugin,
// the function and the reason, which errors.Is matches against [ErrTrap],
// [ErrTimeout] or [ErrMemory]. A guest that exits with status 0 (C's
// exit(0), Go's os.Exit(0)) ends its call as a success, with the output it
// set, and its instance, which is replaced.
//
// # State
//
// Each instance has its own memory: globals, Extism vars and whatever the
// guest's heap holds are per instance, and an instance serves many calls
// one after another. With max concurrency 1 a service has one instance
// (replaced only after a failure, which loses its state), so a counter
// counts as a user expects; with N, calls spread over up to N instances and
// each counts alone. State that must be shared by every instance, every
// host and every restart goes in the namespace's key-value store through
// the host functions (plugins/wasm/guest: KVGet, KVSet), as the counter
// example's "incr_shared" does.
//
// # Host functions
//
// In module "extism:host/user": sandhost_log (into the host's slog, with
// the service's name), sandhost_kv_get / sandhost_kv_set (the namespace's
// key-value store, keys prefixed with "wasm:"), sandhost_call (another
// service of the namespace, under the caller's deadline), and the native
// compute functions sandhost_similarity / sandhost_matmul, which run
// plugins/embedding's engine in the host process: on its GPU where it has
// one, else on the CPU, with the same results. Their request is the
// embedding service's JSON payload of the same method, whose matrices may
// be packed raw float32 ({"rows", "cols", "f32": base64}); their reply a
// status byte and the JSON result or the error's message. The engine is
// [Options].Compute, or one the plugin starts on first use.
// plugins/wasm/guest wraps them all for Go plugins; the retrieve example
// uses the compute ones.
//
// Every host function returns when the call's deadline passes, even when
// what it waits on does not heed the context (a Redis client waits for its
// read timeout), and the instance is then stopped: a timeout interrupts a
// plugin inside a host function too. A plugin's own timeout bounds its run
// on an instance; waiting for an instance, starting one included, is
// bounded by the caller's deadline only.
package wasm
