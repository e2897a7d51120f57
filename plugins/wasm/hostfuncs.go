package wasm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	extism "github.com/extism/go-sdk"

	"github.com/sandhost/sandhost/registry"
)

// The host functions' names, in Extism's user module "extism:host/user";
// plugins/wasm/guest imports them for Go plugins.
const (
	FuncLog   = "sandhost_log"    // (level i64, msg ptr)
	FuncKVGet = "sandhost_kv_get" // (key ptr) -> value ptr, 0 if unset
	FuncKVSet = "sandhost_kv_set" // (key ptr, value ptr)
	FuncCall  = "sandhost_call"   // (service ptr, method ptr, payload ptr) -> reply ptr
)

// KVPrefix goes before the keys plugins use in the namespace's key-value
// store, so they cannot reach another user's keys.
const KVPrefix = "wasm:"

// errNoRegistry fails host functions of a plugin made without a registry.
var errNoRegistry = errors.New("wasm: plugin runs without a registry")

// hostFunctions are the functions plugins import. Each one runs under the
// call's context: when it ends (timeout, caller's deadline, Close) the
// function stops waiting (await) and stops the guest, so a timeout
// interrupts a plugin inside a host function too.
func (p *Plugin) hostFunctions() []extism.HostFunction {
	ptr := extism.ValueTypePTR
	return []extism.HostFunction{
		extism.NewHostFunctionWithStack(FuncLog, func(ctx context.Context, cp *extism.CurrentPlugin, stack []uint64) {
			msg, err := cp.ReadString(stack[1])
			if err != nil {
				p.fail(ctx, FuncLog, err)
			}
			p.log.Log(ctx, slog.Level(int64(stack[0])), msg)
		}, []extism.ValueType{extism.ValueTypeI64, ptr}, nil),

		extism.NewHostFunctionWithStack(FuncKVGet, func(ctx context.Context, cp *extism.CurrentPlugin, stack []uint64) {
			key, err := cp.ReadString(stack[0])
			if err != nil {
				p.fail(ctx, FuncKVGet, err)
			}
			v, err := await(ctx, func() ([]byte, error) { return p.kv().KVGet(ctx, KVPrefix+key) })
			if errors.Is(err, registry.ErrNotFound) {
				stack[0] = 0
				return
			}
			if err != nil {
				p.fail(ctx, FuncKVGet, err)
			}
			stack[0] = p.write(ctx, cp, FuncKVGet, v)
		}, []extism.ValueType{ptr}, []extism.ValueType{ptr}),

		extism.NewHostFunctionWithStack(FuncKVSet, func(ctx context.Context, cp *extism.CurrentPlugin, stack []uint64) {
			key, err := cp.ReadString(stack[0])
			if err != nil {
				p.fail(ctx, FuncKVSet, err)
			}
			v, err := cp.ReadBytes(stack[1])
			if err != nil {
				p.fail(ctx, FuncKVSet, err)
			}
			if _, err := await(ctx, func() (struct{}, error) { return struct{}{}, p.kv().KVSet(ctx, KVPrefix+key, v) }); err != nil {
				p.fail(ctx, FuncKVSet, err)
			}
		}, []extism.ValueType{ptr, ptr}, nil),

		extism.NewHostFunctionWithStack(FuncCall, func(ctx context.Context, cp *extism.CurrentPlugin, stack []uint64) {
			svc, err1 := cp.ReadString(stack[0])
			method, err2 := cp.ReadString(stack[1])
			payload, err3 := cp.ReadBytes(stack[2])
			if err := errors.Join(err1, err2, err3); err != nil {
				p.fail(ctx, FuncCall, err)
			}
			out, err := await(ctx, func() ([]byte, error) { return p.callService(ctx, svc, method, payload) })
			if ctx.Err() != nil {
				p.fail(ctx, FuncCall, err)
			}
			stack[0] = p.write(ctx, cp, FuncCall, statusReply(out, err))
		}, []extism.ValueType{ptr, ptr, ptr}, []extism.ValueType{ptr}),

		p.computeFunction(FuncSimilarity, "similarity"),
		p.computeFunction(FuncMatmul, "matmul"),
	}
}

// statusReply is what a guest gets from a host function that can fail in
// a way the guest handles: a status byte (0: ok, 1: error), then the
// output or the error's message.
func statusReply(out []byte, err error) []byte {
	if err != nil {
		return append([]byte{1}, err.Error()...)
	}
	return append([]byte{0}, out...)
}

// await runs fn on a goroutine of its own and returns its result, or the
// context's cause as soon as ctx ends: what fn waits on may not heed ctx (a
// Redis client waits for its read timeout, a service may ignore its
// context), and the guest must stop at its deadline all the same. A result
// that comes later is dropped. fn must not touch the guest's memory, which
// is gone once the call has ended.
func await[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// kv is the namespace's key-value store, or a stand-in that fails.
func (p *Plugin) kv() interface {
	KVGet(ctx context.Context, key string) ([]byte, error)
	KVSet(ctx context.Context, key string, value []byte) error
} {
	if p.reg == nil {
		return noKV{}
	}
	return p.reg
}

type noKV struct{}

func (noKV) KVGet(context.Context, string) ([]byte, error) { return nil, errNoRegistry }
func (noKV) KVSet(context.Context, string, []byte) error   { return errNoRegistry }

func (p *Plugin) callService(ctx context.Context, svc, method string, payload []byte) ([]byte, error) {
	if p.reg == nil {
		return nil, errNoRegistry
	}
	h, err := p.reg.Get(ctx, svc)
	if err != nil {
		return nil, err
	}
	return h.Call(ctx, method, payload)
}

// write copies b into the plugin's Extism memory and returns its offset.
func (p *Plugin) write(ctx context.Context, cp *extism.CurrentPlugin, fn string, b []byte) uint64 {
	off, err := cp.WriteBytes(b)
	if err != nil {
		p.fail(ctx, fn, err)
	}
	return off
}

// fail ends the call from inside a host function: wazero turns the panic
// into the call's error, and the instance is discarded. When the call's
// context has ended, that is the reason given.
func (p *Plugin) fail(ctx context.Context, fn string, err error) {
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	panic(fmt.Errorf("host function %s: %w", fn, err))
}
