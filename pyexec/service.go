package pyexec

import (
	"context"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
	"github.com/sandhost/sandhost/registry"
)

// ServiceArgs are the constructor arguments of the python_executor factory.
type ServiceArgs struct {
	PoolSize  int     `json:"pool_size"`
	Timeout   float64 `json:"timeout"`      // seconds (TorchRL's unit)
	Memory    string  `json:"memory"`       // per interpreter, e.g. "256MiB"
	OutputCap string  `json:"output_cap"`   // per stream, e.g. "1MiB"
	Engine    string  `json:"engine"`       // sandbox engine
	Sessions  int     `json:"max_sessions"` // live sessions kept
}

// ExecuteRequest is the payload of the service's "execute" method.
type ExecuteRequest struct {
	Code      string  `json:"code"`
	Session   string  `json:"session,omitempty"` // keep state under this ID
	Fresh     bool    `json:"fresh,omitempty"`   // a clean interpreter for this call
	Timeout   float64 `json:"timeout,omitempty"` // seconds; default: the service's
	ResetOnly bool    `json:"reset,omitempty"`   // drop the session's state and run nothing
	// Files are placed in /tmp before the code runs; OutputFiles come
	// back in Result.Files.
	Files       map[string][]byte `json:"files,omitempty"`
	OutputFiles []string          `json:"output_files,omitempty"`
	// Memory caps this call's interpreter memory, e.g. "128MiB" (at most
	// the service's own limit).
	Memory string `json:"memory,omitempty"`
}

func init() {
	// Hosts without the CPython build do not offer the factory, so placement
	// picks one that has it.
	registry.RegisterFactory("python_executor", registry.FactoryOf(newService), registry.Requires(func() error {
		_, err := FindArtefacts("")
		return err
	}))
}

// ServiceName is the name the interpreter and the CLI look for by default.
const ServiceName = "python_executor"

func newService(ctx context.Context, a ServiceArgs) (registry.Service, error) {
	opts := Options{Size: a.PoolSize, Engine: a.Engine, MaxSessions: a.Sessions}
	if a.Timeout > 0 {
		opts.Timeout = secs(a.Timeout)
	}
	if a.Memory != "" {
		n, err := bytesize.Parse(a.Memory)
		if err != nil {
			return nil, fmt.Errorf("%w: memory: %v", registry.ErrInvalid, err)
		}
		opts.MemoryLimit = n
	}
	if a.OutputCap != "" {
		n, err := bytesize.Parse(a.OutputCap)
		if err != nil {
			return nil, fmt.Errorf("%w: output_cap: %v", registry.ErrInvalid, err)
		}
		opts.OutputCap = int(n)
	}
	p, err := NewPool(ctx, opts)
	if err != nil {
		return nil, err
	}
	s := &service{pool: p}
	s.methods = registry.Methods{"execute": registry.JSONMethod(s.execute)}
	return s, nil
}

type service struct {
	pool    *Pool
	methods registry.Methods
}

func (s *service) execute(ctx context.Context, req ExecuteRequest) (Result, error) {
	if req.ResetOnly {
		s.pool.ResetSession(req.Session)
		return Result{Success: true}, nil
	}
	var opts []ExecOption
	if req.Session != "" {
		opts = append(opts, InSession(req.Session))
	}
	if req.Fresh {
		opts = append(opts, Fresh())
	}
	if req.Timeout > 0 {
		opts = append(opts, WithTimeout(secs(req.Timeout)))
	}
	if len(req.Files) > 0 {
		opts = append(opts, WithFiles(req.Files))
	}
	if len(req.OutputFiles) > 0 {
		opts = append(opts, WithOutputFiles(req.OutputFiles...))
	}
	if req.Memory != "" {
		n, err := bytesize.Parse(req.Memory)
		if err != nil {
			return Result{}, fmt.Errorf("%w: memory: %v", registry.ErrInvalid, err)
		}
		opts = append(opts, WithMemoryLimit(n))
	}
	return s.pool.Execute(ctx, req.Code, opts...)
}

func (s *service) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	return s.methods.Call(ctx, method, payload)
}

func (s *service) Close() error { return s.pool.Close() }

// MaxConcurrency lets the registry run as many calls as the pool has
// interpreters (registry.ConcurrencyHint); more queue.
func (s *service) MaxConcurrency() int { return s.pool.opts.Size }

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
