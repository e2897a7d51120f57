package wasm

import (
	"context"
	"fmt"
	"sync"

	extism "github.com/extism/go-sdk"

	"github.com/sandhost/sandhost/plugins/embedding"
)

// The native compute functions: a plugin hands the host a request and the
// host computes it with plugins/embedding's engine, in process, on the GPU
// where the host has one and on the CPU otherwise (same results: exact
// where float32 arithmetic is, within rounding elsewhere). The request is
// the embedding service's payload of the same method, JSON whose matrices
// are arrays of rows or, for anything large, packed raw float32
// ({"rows": R, "cols": C, "f32": base64 of R·C little-endian float32}, see
// embedding.Matrix); the reply is a status byte (0: ok, 1: error) and the
// method's JSON result or the error's message, as sandhost_call's.
const (
	FuncSimilarity = "sandhost_similarity" // (request ptr) -> reply ptr; embedding's "similarity" (the corpus given)
	FuncMatmul     = "sandhost_matmul"     // (request ptr) -> reply ptr; embedding's "matmul"
)

// compute is the embedding service a plugin's compute functions use: the
// one Options.Compute gives, or one the plugin starts on first use and
// closes with itself.
type compute struct {
	mu     sync.Mutex
	svc    *embedding.Service
	own    bool // started here: closed by close
	closed bool
}

// service returns the service, starting it on first use. Starting probes
// for a GPU (a second or more the first time in a process); a start that
// fails is tried again by the next call.
func (c *compute) service(ctx context.Context) (*embedding.Service, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.svc == nil {
		svc, err := embedding.New(ctx, embedding.Args{Device: embedding.DeviceAuto})
		if err != nil {
			return nil, fmt.Errorf("start the compute engine: %w", err)
		}
		c.svc, c.own = svc, true
	}
	return c.svc, nil
}

// close closes the service if the plugin started it.
func (c *compute) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.own {
		return c.svc.Close()
	}
	return nil
}

// computeFunction is the host function name that runs the embedding
// service's method on the request the guest passes.
func (p *Plugin) computeFunction(name, method string) extism.HostFunction {
	ptr := extism.ValueTypePTR
	return extism.NewHostFunctionWithStack(name, func(ctx context.Context, cp *extism.CurrentPlugin, stack []uint64) {
		req, err := cp.ReadBytes(stack[0])
		if err != nil {
			p.fail(ctx, name, err)
		}
		out, err := await(ctx, func() ([]byte, error) {
			svc, err := p.compute.service(ctx)
			if err != nil {
				return nil, err
			}
			return svc.Call(ctx, method, req)
		})
		if ctx.Err() != nil {
			p.fail(ctx, name, err)
		}
		stack[0] = p.write(ctx, cp, name, statusReply(out, err))
	}, []extism.ValueType{ptr}, []extism.ValueType{ptr})
}
