package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

// Service is what a registered service implements: one method that takes
// the method name and a payload and returns a payload. Payloads are opaque
// bytes; JSON is the convention used by the CLI and by [CallJSON].
//
// A Service may also implement io.Closer: Close is called when the service
// is stopped (reset, host shutdown), unless it was registered as an instance
// with [Registry.RegisterService], which its owner closes.
type Service interface {
	Call(ctx context.Context, method string, payload []byte) ([]byte, error)
}

// ConcurrencyHint is implemented by services that know how many calls they
// can run at once (a pool of N interpreters: N). It sets the service's max
// concurrency when the registration does not (WithMaxConcurrency).
type ConcurrencyHint interface {
	MaxConcurrency() int
}

// ServiceFunc adapts a function to a Service.
type ServiceFunc func(ctx context.Context, method string, payload []byte) ([]byte, error)

// Call implements Service.
func (f ServiceFunc) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	return f(ctx, method, payload)
}

// MethodFunc handles one method of a service.
type MethodFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Methods is a Service that dispatches by method name; an unknown method
// gives ErrUnknownMethod, listing the known ones.
type Methods map[string]MethodFunc

// Call implements Service.
func (m Methods) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	f, ok := m[method]
	if !ok {
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w %q (methods: %v)", ErrUnknownMethod, method, names)
	}
	return f(ctx, payload)
}

// JSONMethod adapts a typed function to a MethodFunc: the payload is decoded
// as JSON into In (an empty payload decodes as the zero In) and the result
// encoded as JSON.
func JSONMethod[In, Out any](fn func(ctx context.Context, in In) (Out, error)) MethodFunc {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var in In
		if len(bytes.TrimSpace(payload)) > 0 {
			if err := json.Unmarshal(payload, &in); err != nil {
				return nil, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
			}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	}
}

// Factory constructs a service from its JSON constructor arguments (nil
// when none were given). Factories are registered by name in the process
// with [RegisterFactory]; any host that has a factory can run its services.
type Factory func(ctx context.Context, args json.RawMessage) (Service, error)

// FactoryOf adapts a constructor with typed arguments to a Factory. Args are
// decoded strictly: an unknown field is an error, not a silent no-op.
func FactoryOf[A any](fn func(ctx context.Context, args A) (Service, error)) Factory {
	return func(ctx context.Context, raw json.RawMessage) (Service, error) {
		var a A
		if len(bytes.TrimSpace(raw)) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&a); err != nil {
				return nil, fmt.Errorf("%w: args: %v", ErrInvalid, err)
			}
		}
		return fn(ctx, a)
	}
}

// errUnavailable marks a factory registered here whose Requires check fails.
var errUnavailable = errors.New("unavailable here")

type factoryEntry struct {
	f     Factory
	check func() error // nil: always available
}

var (
	factoriesMu sync.RWMutex
	factories   = map[string]factoryEntry{}
)

// FactoryOption configures a factory at registration.
type FactoryOption func(*factoryEntry)

// Requires makes a factory available only while check returns nil, for
// factories that need something beside the binary (a build artefact, a GPU
// driver). Hosts advertise, and run, only available factories, so placement
// skips the hosts that lack it; the check's error says what is missing.
func Requires(check func() error) FactoryOption {
	return func(e *factoryEntry) { e.check = check }
}

// RegisterFactory makes a factory available to this process under name.
// Like database/sql.Register it panics on a nil factory or a duplicate name:
// both are programming errors found at start-up.
func RegisterFactory(name string, f Factory, opts ...FactoryOption) {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	if f == nil {
		panic("registry: RegisterFactory with nil factory")
	}
	if _, dup := factories[name]; dup {
		panic("registry: RegisterFactory called twice for " + name)
	}
	e := factoryEntry{f: f}
	for _, o := range opts {
		o(&e)
	}
	factories[name] = e
}

// Factories lists the factories this process has and can use now, sorted.
func Factories() []string {
	factoriesMu.RLock()
	defer factoriesMu.RUnlock()
	out := make([]string, 0, len(factories))
	for k, e := range factories {
		if e.check == nil || e.check() == nil {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// lookupFactory returns the named factory if it is registered and
// available; otherwise an ErrUnknownFactory that says which.
func lookupFactory(name string) (Factory, error) {
	factoriesMu.RLock()
	e, ok := factories[name]
	factoriesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFactory, name)
	}
	if e.check != nil {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("%w %q: %w: %w", ErrUnknownFactory, name, errUnavailable, err)
		}
	}
	return e.f, nil
}

func closeService(s Service) error {
	if c, ok := s.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
