package pyexec

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/sandhost/sandhost/registry"
)

// codeBlock is TorchRL's rule: ```python, a newline, the code (lazily, dot
// matching newlines), a newline and ```.
var codeBlock = regexp.MustCompile("(?s)```python\n(.*?)\n```")

// ExtractCode returns the python code blocks of an LLM reply, in order.
func ExtractCode(reply string) []string {
	var out []string
	for _, m := range codeBlock.FindAllStringSubmatch(reply, -1) {
		out = append(out, m[1])
	}
	return out
}

// ToolMessage is what the interpreter appends for one code block.
type ToolMessage struct {
	Role    string `json:"role"` // "tool"
	Name    string `json:"name"` // the tool name
	Content string `json:"content"`
}

// InterpreterOptions configure an Interpreter, TorchRL's PythonInterpreter.
type InterpreterOptions struct {
	// Services selects service mode: a DSN of the registry (or "" to use
	// Registry) holding the executor service. Empty with no Registry:
	// local mode, with Pool.
	Services    string
	Registry    *registry.Registry // service mode through an open registry
	ServiceName string             // default python_executor
	Namespace   string             // default registry.DefaultNamespace
	Pool        *Pool              // local mode
	Persistent  bool               // local mode: each environment keeps its state
	Timeout     time.Duration      // per block; 0: the executor's default
	ToolName    string             // default "tool"
}

// Interpreter runs the python code blocks of LLM replies for a batch of
// environments and turns each block's result into a tool message.
type Interpreter struct {
	opts   InterpreterOptions
	handle *registry.Handle
	ownReg *registry.Registry
	mu     sync.Mutex
	gen    map[int]int // environment -> reset count, part of its session ID
	id     string
}

// NewInterpreter makes an interpreter. In service mode a missing service is
// an error that says to register it; an unknown registry backend is an
// "invalid services backend" error.
func NewInterpreter(ctx context.Context, opts InterpreterOptions) (*Interpreter, error) {
	if opts.ServiceName == "" {
		opts.ServiceName = ServiceName
	}
	if opts.Namespace == "" {
		opts.Namespace = registry.DefaultNamespace
	}
	if opts.ToolName == "" {
		opts.ToolName = "tool"
	}
	// A random ID keeps the sessions of interpreters sharing a pool apart.
	in := &Interpreter{opts: opts, gen: map[int]int{}, id: "interp-" + rand.Text()[:10]}
	reg := opts.Registry
	if reg == nil && opts.Services != "" {
		r, err := registry.Open(ctx, opts.Services, registry.WithNamespace(opts.Namespace), registry.ClientOnly())
		if err != nil {
			if errors.Is(err, registry.ErrUnknownBackend) {
				return nil, fmt.Errorf("Invalid services backend %q: %w", opts.Services, err)
			}
			return nil, err
		}
		reg, in.ownReg = r, r
	}
	if reg != nil {
		h, err := reg.Get(ctx, opts.ServiceName)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("Failed to get service '%s' in namespace '%s'. Make sure the service is registered: %w",
				opts.ServiceName, reg.Namespace(), err)
		}
		in.handle = h
		return in, nil
	}
	if opts.Pool == nil {
		return nil, fmt.Errorf("%w: local mode needs a Pool", registry.ErrInvalid)
	}
	return in, nil
}

// Options are the interpreter's settings.
func (in *Interpreter) Options() InterpreterOptions { return in.opts }

// Clone returns an interpreter with the same settings and service, and
// environments of its own (TorchRL clones transforms per environment
// batch). Services given by DSN are reached through a registry of the clone's own.
func (in *Interpreter) Clone(ctx context.Context) (*Interpreter, error) {
	return NewInterpreter(ctx, in.opts)
}

// Close releases a registry the interpreter opened itself.
func (in *Interpreter) Close() error {
	if in.ownReg != nil {
		return in.ownReg.Close()
	}
	return nil
}

// Reset gives environment env a clean state for its next blocks. In
// service mode, and in local mode without Persistent, every block runs in
// the isolated model and already starts clean: there is nothing to reset,
// and no call is made.
func (in *Interpreter) Reset(ctx context.Context, env int) {
	if in.handle != nil || !in.opts.Persistent {
		return
	}
	in.mu.Lock()
	old := in.sessionLocked(env)
	in.gen[env]++
	in.mu.Unlock()
	in.opts.Pool.ResetSession(old)
}

func (in *Interpreter) sessionLocked(env int) string {
	return fmt.Sprintf("%s-env%d-%d", in.id, env, in.gen[env])
}

// Process runs the code blocks of one reply per environment, environments
// in parallel, blocks of one environment in order, and returns the tool
// messages of each environment (none for a reply without code). Failures
// are reported in the messages, never as errors.
func (in *Interpreter) Process(ctx context.Context, replies []string) [][]ToolMessage {
	out := make([][]ToolMessage, len(replies))
	var wg sync.WaitGroup
	for env, reply := range replies {
		blocks := ExtractCode(reply)
		if len(blocks) == 0 {
			continue
		}
		wg.Go(func() {
			for k, code := range blocks {
				r := in.run(ctx, env, code)
				// Passed, not Success: a warning on stderr is no failure.
				msg := fmt.Sprintf("Code block %d executed successfully:\n%s", k+1, r.Stdout)
				if !r.Passed {
					msg = fmt.Sprintf("Code block %d failed:\n%s", k+1, r.Stderr)
				}
				out[env] = append(out[env], ToolMessage{Role: "tool", Name: in.opts.ToolName, Content: msg})
			}
		})
	}
	wg.Wait()
	return out
}

func (in *Interpreter) run(ctx context.Context, env int, code string) Result {
	req := Request{Code: code, Timeout: in.opts.Timeout}
	var (
		r   Result
		err error
	)
	if in.handle != nil {
		// Service mode: the executor service, in its default (isolated) model.
		r, err = registry.CallJSON[Result](ctx, in.handle, "execute", req)
	} else {
		if in.opts.Persistent {
			in.mu.Lock()
			req.Session = in.sessionLocked(env)
			in.mu.Unlock()
		}
		// else the default, isolated model: a fresh interpreter's results
		// at the cost of a pooled one.
		r, err = in.opts.Pool.Run(ctx, req)
	}
	if err != nil {
		return Result{Stderr: "Error: " + err.Error() + "\n", ReturnCode: -1}
	}
	return r
}
