package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/sandhost/sandhost/registry/driver"
)

// localService is a service this process runs.
type localService struct {
	spec   driver.Spec
	svc    Service
	owned  bool // built by a factory here: stopping closes it
	lim    *limiter
	ready  chan struct{} // closed when constructed (or failed)
	err    error         // construction error, set before ready closes
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *localService) call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if s.err != nil {
		return nil, fmt.Errorf("%w: service %q failed to start", ErrNotFound, s.spec.Name)
	}
	if err := s.lim.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.lim.release(1)
	return safeCall(ctx, s.svc, method, payload)
}

// safeCall turns a panicking service into an error for this one call.
func safeCall(ctx context.Context, svc Service, method string, payload []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("service panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return svc.Call(ctx, method, payload)
}

// safeBuild turns a panicking factory into a construction error: a factory
// runs on a host for whoever registers, and must not crash that host (wazero
// panics on a memory limit above 4 GiB, for one).
func safeBuild(ctx context.Context, factory Factory, args json.RawMessage) (svc Service, err error) {
	defer func() {
		if p := recover(); p != nil {
			svc, err = nil, fmt.Errorf("factory panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return factory(ctx, args)
}

// startLocal claims the name for this host, constructs the service (unless
// inst is given) and starts serving its queue.
func (r *Registry) startLocal(ctx context.Context, spec driver.Spec, inst Service) (*Handle, error) {
	var factory Factory
	if inst == nil {
		f, err := lookupFactory(spec.Factory)
		if err != nil {
			return nil, fmt.Errorf("host %s (factories %v): %w", r.id, Factories(), err)
		}
		factory = f
	}
	spec.Owner = r.id
	run := &localService{spec: spec, owned: inst == nil, ready: make(chan struct{})}
	run.ctx, run.cancel = context.WithCancel(r.ctx)

	// A placeholder makes a second registration of the name in this
	// process fail at once; calls that find it wait until it is ready.
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if _, dup := r.services[spec.Name]; dup {
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: service %q in namespace %q; use Get to retrieve it", ErrExists, spec.Name, r.ns)
	}
	r.services[spec.Name] = run
	r.mu.Unlock()

	svc := inst
	fail := func(err error) (*Handle, error) {
		run.err = err
		close(run.ready)
		run.cancel()
		r.mu.Lock()
		if r.services[spec.Name] == run {
			delete(r.services, spec.Name)
		}
		r.mu.Unlock()
		if inst == nil && svc != nil {
			closeService(svc)
		}
		return nil, err
	}
	// Construct first, then claim: the service decides its default
	// concurrency, and the claim that makes it visible also makes it ready.
	// A loser of a race across processes closes what it built.
	if svc == nil {
		// A factory that fails keeps what it returned (often a typed nil):
		// only a service built without error is ours to close.
		built, err := safeBuild(withFactoryEnv(ctx, r, spec.Name), factory, spec.Args)
		if err == nil && built == nil {
			err = errors.New("factory returned a nil service")
		}
		if err != nil {
			return fail(fmt.Errorf("registry: construct %q with factory %q: %w", spec.Name, spec.Factory, err))
		}
		svc = built
	}
	if spec.MaxConcurrency == 0 {
		spec.MaxConcurrency = 1
		if h, ok := svc.(ConcurrencyHint); ok && h.MaxConcurrency() > 0 {
			spec.MaxConcurrency = h.MaxConcurrency()
		}
	}
	claimed, err := r.be.Claim(ctx, spec)
	if err != nil {
		if errors.Is(err, ErrExists) {
			err = fmt.Errorf("%w: service %q in namespace %q; use Get to retrieve it", ErrExists, spec.Name, r.ns)
		}
		return fail(err)
	}
	r.mu.Lock()
	detached := r.services[spec.Name] != run
	run.spec = claimed
	r.mu.Unlock()
	if detached {
		// Unregistered (or the registry closed) while it was being built:
		// the claim made since must not outlive it.
		if err := r.be.Release(ctx, spec.Name, r.id); err != nil {
			r.log.Warn("release of a service unregistered while being built failed", "service", spec.Name, "err", err)
		}
		return fail(fmt.Errorf("%w: service %q was unregistered while it was being built", ErrNotFound, spec.Name))
	}
	run.svc = svc
	run.lim = newLimiter(claimed.MaxConcurrency)
	close(run.ready)
	// Not in r.wg: a blocking read can outlast Close by up to a second
	// (go-redis reads ignore cancellation); the loop then exits on its own.
	go r.serve(run)
	r.log.Debug("service started", "service", spec.Name, "factory", spec.Factory)
	return &Handle{r: r, spec: claimed}, nil
}

// lookupLocal returns the local service of that name, if any.
func (r *Registry) lookupLocal(name string) *localService {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.services[name]
}

// stopService stops a local service: no new calls are taken, and a service
// built here is closed.
func (r *Registry) stopService(name, why string) {
	if run := r.detachService(name); run != nil {
		r.finishStop(name, run, why)
	}
}

// detachService removes a local service from those this host runs, so no
// new call reaches it and no later beat re-asserts it, and cancels its
// calls. It returns nil when no service of that name runs here.
func (r *Registry) detachService(name string) *localService {
	r.mu.Lock()
	run, ok := r.services[name]
	if ok {
		delete(r.services, name)
	}
	r.mu.Unlock()
	if !ok {
		return nil
	}
	run.cancel()
	return run
}

// finishStop waits for a detached service that is still being built, then
// closes what a factory built. It may take as long as the construction and
// the close: callers hold no lock a heartbeat needs.
func (r *Registry) finishStop(name string, run *localService, why string) {
	<-run.ready
	if run.owned && run.svc != nil {
		if err := closeService(run.svc); err != nil {
			r.log.Warn("service close failed", "service", name, "err", err)
		}
	}
	r.log.Debug("service stopped", "service", name, "why", why)
}

func (r *Registry) stopAll(why string) {
	r.mu.Lock()
	names := make([]string, 0, len(r.services))
	for n := range r.services {
		names = append(names, n)
	}
	r.mu.Unlock()
	for _, n := range names {
		r.stopService(n, why)
	}
}
