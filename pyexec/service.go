package pyexec

import (
	"context"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/registry"
)

// ServiceArgs are the constructor arguments of the python_executor factory;
// zero fields take the pool's defaults (see Options). Their JSON form is
// {"pool_size": 32, "timeout": "10s", "memory": "256MiB", "output_cap":
// "1MiB", "engine": "wazy", "max_sessions": 64, "services": ["tokenizer"],
// "preload": ["sympy"], "yield_after": "30ms"}
// (durations and sizes as described in wire.go; "timeout": 10 is 10
// seconds, as in TorchRL).
type ServiceArgs struct {
	PoolSize    int           `json:"pool_size,omitempty"`
	Timeout     time.Duration `json:"timeout,omitempty"`      // per call
	Memory      int64         `json:"memory,omitempty"`       // per interpreter, bytes
	OutputCap   int64         `json:"output_cap,omitempty"`   // per stream, bytes
	Engine      string        `json:"engine,omitempty"`       // sandbox engine
	MaxSessions int           `json:"max_sessions,omitempty"` // live sessions kept
	// Services the code may call with `import sandhost` (AllowServices),
	// through the registry that runs the service; none by default.
	Services []string `json:"services,omitempty"`
	// Modules every interpreter starts with imported (Options.Preload).
	Preload []string `json:"preload,omitempty"`
	// CPU time after which a call gives way to shorter ones
	// (Options.YieldAfter; negative: never).
	YieldAfter time.Duration `json:"yield_after,omitempty"`
}

func init() {
	// Hosts without the CPython build do not offer the factory, so placement
	// picks one that has it.
	registry.RegisterFactory(ServiceName, registry.FactoryOf(newService), registry.Requires(func() error {
		_, err := FindArtefacts("")
		return err
	}))
}

// ServiceName is the name the interpreter and the CLI look for by default.
const ServiceName = "python_executor"

func newService(ctx context.Context, a ServiceArgs) (registry.Service, error) {
	// Zero takes the pool's default; below zero is a mistake the registrant
	// should hear of (YieldAfter excepted: negative turns yielding off).
	for _, f := range []struct {
		name string
		bad  bool
	}{{"pool_size", a.PoolSize < 0}, {"timeout", a.Timeout < 0}, {"memory", a.Memory < 0},
		{"output_cap", a.OutputCap < 0}, {"max_sessions", a.MaxSessions < 0}} {
		if f.bad {
			return nil, fmt.Errorf("%w: %s must not be negative (0 takes the default)", registry.ErrInvalid, f.name)
		}
	}
	var services *Services
	if len(a.Services) > 0 {
		r := registry.HostOf(ctx)
		if r == nil {
			return nil, fmt.Errorf("%w: services %v: no registry to call them through", registry.ErrInvalid, a.Services)
		}
		services = AllowServices(RegistryCaller(r), a.Services...)
	}
	p, err := NewPool(ctx, Options{Size: a.PoolSize, Timeout: a.Timeout, MemoryLimit: a.Memory, OutputCap: int(a.OutputCap),
		Engine: a.Engine, MaxSessions: a.MaxSessions, Services: services, Preload: a.Preload,
		YieldAfter: a.YieldAfter})
	if err != nil {
		return nil, err
	}
	s := &service{pool: p}
	s.methods = registry.Methods{"execute": registry.JSONMethod(s.pool.Run)}
	return s, nil
}

// RegistryCaller calls the services of r's namespace, wherever they run,
// under the caller's context: the Caller for AllowServices that the
// python_executor service uses.
func RegistryCaller(r *registry.Registry) Caller { return registryCaller{r} }

type registryCaller struct{ r *registry.Registry }

func (c registryCaller) Call(ctx context.Context, service, method string, args []byte) ([]byte, error) {
	h, err := c.r.Get(ctx, service)
	if err != nil {
		return nil, err
	}
	return h.Call(ctx, method, args)
}

// service is the pool as a registry service: method "execute" takes a
// Request and returns a Result.
type service struct {
	pool    *Pool
	methods registry.Methods
}

func (s *service) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	return s.methods.Call(ctx, method, payload)
}

func (s *service) Close() error { return s.pool.Close() }

// MaxConcurrency lets the registry hand the pool as many calls as it can
// have under way (registry.ConcurrencyHint): one per interpreter, and as
// many again for calls that stood aside from their run slots (yield.go).
// At the pool's size alone, a call standing aside still held its place in
// the registry: a quick call queued in Redis behind loops until their
// deadlines, when in the pool it would have run at once. Calls beyond the
// interpreters wait in the pool's queue, in order, their timeouts not yet
// counting; more wait in the store.
func (s *service) MaxConcurrency() int { return s.pool.opts.Size + s.pool.opts.maxAside() }
