package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/internal/wire"
	"github.com/sandhost/sandhost/registry"
	"github.com/tetratelabs/wazero"
)

// Args are the constructor arguments of the "wasm" factory. Module or
// ModuleSHA256 names the module; the rest is Extism's manifest and the
// service's shape. In Go, times are time.Duration and sizes bytes; on the
// wire they are sandhost's one form ("5s" or seconds, "64MiB" or bytes).
type Args struct {
	// Module is the module's bytes (base64 in JSON). Prefer ModuleSHA256
	// for anything but small modules: args travel with every spec read.
	Module []byte `json:"module,omitempty"`
	// ModuleSHA256 is the hex sha256 of a module stored in the namespace
	// with [Store]; every host fetches it from there.
	ModuleSHA256 string `json:"module_sha256,omitempty"`
	// Config is the manifest's config map (pdk.GetConfig in the guest).
	Config map[string]string `json:"config,omitempty"`
	// Memory limits each instance's memory in bytes, 64 KiB to 4 GiB
	// (default 256 MiB).
	Memory int64 `json:"-"`
	// Timeout limits each call's run on its instance (default none: the
	// caller's deadline); waiting for an instance counts against the
	// caller's deadline only.
	Timeout time.Duration `json:"-"`
	// AllowedPaths maps host directories to guest paths ("ro:" before the
	// host path: read-only). None by default: the guest sees no file.
	AllowedPaths map[string]string `json:"allowed_paths,omitempty"`
	// Functions lists the exports that become methods (default: every
	// export a guest may call through Extism, but Extism's and the
	// runtime's own). A listed function the module lacks is an error.
	Functions []string `json:"functions,omitempty"`
	// Instances is the most instances busy at once (calls beyond wait in
	// order) and kept warm, and the service's default max concurrency
	// (default: the number of CPUs, as Extism's Rust SDK's pool).
	Instances int `json:"instances,omitempty"`
}

// DefaultMemory is an instance's memory limit when Args.Memory is empty.
const DefaultMemory = 256 << 20

// maxMemory is the most a 32-bit WebAssembly memory can hold.
const maxMemory = 4 << 30

// settings is Args checked and in Go's units.
type settings struct {
	memory  int64
	timeout time.Duration
}

func (a Args) settings() (settings, error) {
	s := settings{memory: DefaultMemory}
	if a.Memory != 0 {
		// wasm32 addresses 4 GiB at most (wazero panics beyond it).
		if a.Memory < 1<<16 || a.Memory > maxMemory {
			return s, fmt.Errorf("%w: memory %s: want a size from 64KiB to 4GiB such as \"64MiB\"", registry.ErrInvalid, wire.FormatSize(a.Memory))
		}
		s.memory = a.Memory
	}
	if a.Timeout < 0 {
		return s, fmt.Errorf("%w: timeout %v: want a positive duration such as \"5s\"", registry.ErrInvalid, a.Timeout)
	}
	s.timeout = a.Timeout
	if a.Instances < 0 {
		return s, fmt.Errorf("%w: instances %d is negative", registry.ErrInvalid, a.Instances)
	}
	if len(a.Module) == 0 && a.ModuleSHA256 == "" {
		return s, fmt.Errorf("%w: args name no module: give module_sha256 (see wasm.Store) or module", registry.ErrInvalid)
	}
	return s, nil
}

// moduleBytes returns the module Args name: the inline bytes (checked
// against ModuleSHA256 if both are given) or the blob stored in reg.
func (a Args) moduleBytes(ctx context.Context, reg *registry.Registry) ([]byte, error) {
	if len(a.Module) > 0 {
		if a.ModuleSHA256 != "" && Sum(a.Module) != a.ModuleSHA256 {
			return nil, fmt.Errorf("%w: module bytes do not match module_sha256 %s", registry.ErrInvalid, a.ModuleSHA256)
		}
		return a.Module, nil
	}
	if reg == nil {
		return nil, fmt.Errorf("%w: module_sha256 %s needs a registry to fetch it from", registry.ErrInvalid, a.ModuleSHA256)
	}
	b, err := reg.GetBlob(ctx, a.ModuleSHA256)
	if errors.Is(err, registry.ErrNotFound) {
		// Not a missing service, as ErrNotFound alone would say: the
		// namespace was reset, or the module stored in another.
		return nil, fmt.Errorf("%w: module %s is not stored in this namespace: register it again with its file (host register --module FILE; in Go, Store it first)",
			registry.ErrInvalid, a.ModuleSHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("wasm: module %s: %w", a.ModuleSHA256, err)
	}
	return b, nil
}

// Sum is the hex sha256 of a module: its name in the namespace's store
// and its version.
func Sum(module []byte) string {
	h := sha256.Sum256(module)
	return hex.EncodeToString(h[:])
}

// Store puts a module into reg's namespace (once: the same bytes again
// are not written twice) and returns args that name it, for
// reg.Register(ctx, name, wasm.FactoryName, registry.WithArgs(args)) from
// any process of the namespace.
//
// A module that is not valid WebAssembly is refused (ErrInvalid) before
// anything is stored: its bytes would stay in the namespace, read by no
// one, until a reset.
func Store(ctx context.Context, reg *registry.Registry, module []byte) (Args, error) {
	if err := validModule(ctx, module); err != nil {
		return Args{}, err
	}
	sum, err := reg.PutBlob(ctx, module)
	if err != nil {
		return Args{}, fmt.Errorf("wasm: store module: %w", err)
	}
	return Args{ModuleSHA256: sum}, nil
}

// MarshalJSON writes Args in the wire form.
func (a Args) MarshalJSON() ([]byte, error) {
	type plain Args
	return json.Marshal(struct {
		plain
		Memory  wire.Size     `json:"memory,omitempty"`
		Timeout wire.Duration `json:"timeout,omitempty"`
	}{plain(a), wire.Size(a.Memory), wire.Duration(a.Timeout)})
}

// UnmarshalJSON reads Args from the wire form. An unknown field is an
// error, as the registry's factories decode args.
func (a *Args) UnmarshalJSON(b []byte) error {
	type plain Args
	w := struct {
		*plain
		Memory  wire.Size     `json:"memory"`
		Timeout wire.Duration `json:"timeout"`
	}{plain: (*plain)(a)}
	// The decoder's strictness does not reach a custom unmarshaler: ask
	// for it again here.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	a.Memory, a.Timeout = int64(w.Memory), time.Duration(w.Timeout)
	return nil
}

// validModule decodes and validates module with wazero's interpreter, which
// compiles nothing to machine code: a text file or a truncated upload fails
// here in milliseconds.
func validModule(ctx context.Context, module []byte) error {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, module)
	if err != nil {
		return fmt.Errorf("%w: wasm: not a valid WebAssembly module: %w", registry.ErrInvalid, err)
	}
	return cm.Close(ctx)
}
