package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// running is a service this process runs.
type running struct {
	spec   driver.Spec
	svc    Service
	owned  bool // built by a factory here: stopping closes it
	lim    *limiter
	ready  chan struct{} // closed when constructed (or failed)
	err    error         // construction error, set before ready closes
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *running) call(ctx context.Context, method string, payload []byte) ([]byte, error) {
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
	run := &running{spec: spec, owned: inst == nil, ready: make(chan struct{})}
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
		var err error
		svc, err = factory(ctx, spec.Args)
		if err == nil && svc == nil {
			err = errors.New("factory returned a nil service")
		}
		if err != nil {
			return fail(fmt.Errorf("registry: construct %q with factory %q: %w", spec.Name, spec.Factory, err))
		}
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
	run.spec = claimed
	r.mu.Unlock()
	run.svc = svc
	run.lim = newLimiter(claimed.MaxConcurrency)
	close(run.ready)
	// Not in r.wg: a blocking read can outlast Close by up to a second
	// (go-redis reads ignore cancellation); the loop then exits on its own.
	go r.serve(run)
	r.log.Debug("service started", "service", spec.Name, "factory", spec.Factory)
	return &Handle{r: r, spec: claimed}, nil
}

// lookupRunning returns the local service of that name, if any.
func (r *Registry) lookupRunning(name string) *running {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.services[name]
}

// serve pulls calls from the service's queue while it has free slots, so
// calls beyond its max concurrency wait in the store, in order.
func (r *Registry) serve(run *running) {
	queue := driver.ServiceQueue(run.spec.Name)
	backoff := time.Duration(0)
	warned := false // log the start and the end of an outage, not each try
	for run.ctx.Err() == nil {
		n, err := run.lim.waitFree(run.ctx)
		if err != nil {
			return
		}
		reqs, err := r.be.Receive(run.ctx, queue, r.id, min(n, 64))
		if err != nil {
			if run.ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNotFound) {
				// The queue is gone: a reset, or a store that lost its
				// data. The heartbeat tells which (and restores it).
				r.beat(run.ctx)
			} else if !warned {
				r.log.Warn("receive failing; retrying", "service", run.spec.Name, "err", err)
				warned = true
			}
			// Back off to at most 2 s while the store is unreachable.
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			sleepCtx(run.ctx, backoff)
			continue
		}
		if warned {
			r.log.Info("receiving again", "service", run.spec.Name)
			warned = false
		}
		backoff = 0
		if run.ctx.Err() != nil {
			// Stopped while reading: answer rather than leave callers waiting.
			for _, req := range reqs {
				r.reply(req, driver.Response{ID: req.ID, Code: codeOf(ErrNotFound), Message: fmt.Sprintf("%v: service %q stopped", ErrNotFound, run.spec.Name)})
			}
			return
		}
		if len(reqs) == 0 {
			continue
		}
		last := len(reqs) - 1
		for _, req := range reqs[:last] {
			go r.handle(run, req, false)
		}
		if run.lim.tryAcquire() {
			// Run the last call on this goroutine, which is running now,
			// and go on reading in a new one: handing the call to a fresh
			// goroutine instead cost about 40 µs of round trip at
			// concurrency 1 (RATIONALE.md).
			go r.serve(run)
			r.handle(run, reqs[last], true)
			return
		}
		go r.handle(run, reqs[last], false)
	}
}

// handle runs one call and replies; held says its slot is already taken.
func (r *Registry) handle(run *running, req driver.Request, held bool) {
	resp := r.execute(run.ctx, req, func(ctx context.Context) ([]byte, error) {
		if !held {
			// Queue with in-process callers for a slot, in FIFO order.
			if err := run.lim.acquire(ctx); err != nil {
				return nil, err
			}
		}
		held = false
		defer run.lim.release(1)
		return safeCall(ctx, run.svc, req.Method, req.Payload)
	})
	if held { // execute answered without calling (deadline passed)
		run.lim.release(1)
	}
	r.reply(req, resp)
}

// execute runs fn under the request's deadline and encodes the outcome.
func (r *Registry) execute(ctx context.Context, req driver.Request, fn func(context.Context) ([]byte, error)) driver.Response {
	if !req.Deadline.IsZero() {
		if time.Now().After(req.Deadline) {
			return encodeResult(req.ID, nil, fmt.Errorf("%w: deadline passed while queued", ErrDeadlineExceeded))
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	out, err := fn(ctx)
	return encodeResult(req.ID, out, err)
}

func (r *Registry) reply(req driver.Request, resp driver.Response) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.be.Reply(ctx, req, resp); err != nil {
		r.log.Warn("reply failed", "queue", req.Queue, "err", err)
	}
}

// stopService stops a local service: no new calls are taken, and a service
// built here is closed.
func (r *Registry) stopService(name, why string) {
	r.mu.Lock()
	run, ok := r.services[name]
	if ok {
		delete(r.services, name)
	}
	r.mu.Unlock()
	if !ok {
		return
	}
	run.cancel()
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

// beat refreshes the heartbeat and re-asserts the services this host owns;
// it stops those the store says are no longer ours.
func (r *Registry) beat(ctx context.Context) error {
	r.beatMu.Lock()
	defer r.beatMu.Unlock()
	if r.left {
		return ErrClosed
	}
	r.mu.Lock()
	info := r.info
	info.Factories = Factories() // availability can change (an artefact built)
	info.Used = r.usedLocked()
	info.Services = len(r.services)
	owned := make([]driver.Spec, 0, len(r.services))
	for _, s := range r.services {
		if s.spec.Generation != "" {
			owned = append(owned, s.spec)
		}
	}
	r.mu.Unlock()
	stop, err := r.be.Beat(ctx, info, r.cfg.ttl, owned)
	if err != nil {
		return err
	}
	for _, name := range stop {
		r.stopService(name, "reset or taken over")
	}
	return nil
}

func (r *Registry) heartbeatLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.ttl / 3)
	defer t.Stop()
	failing := false // log the start and the end of an outage, not every beat
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.ttl/3)
		err := r.beat(ctx)
		if err == nil {
			// Every host reaps: whoever notices a dead host first removes
			// its services, so they vanish within about one TTL.
			err = r.be.Reap(ctx)
		}
		cancel()
		switch {
		case r.ctx.Err() != nil:
			return
		case err != nil && !failing:
			r.log.Warn("heartbeat failing; services of this host may be listed as gone until it recovers", "err", err)
			failing = true
		case err == nil && failing:
			r.log.Info("heartbeat recovered")
			failing = false
		}
	}
}

// controlLoop serves this host's control queue: placement of services by
// other processes. Like the serve loops, it backs off while the store is
// unreachable and logs the start and the end of the outage, not each try.
func (r *Registry) controlLoop() {
	queue := driver.HostQueue(r.id)
	backoff := time.Duration(0)
	warned := false // log the start and the end of an outage, not each try
	for r.ctx.Err() == nil {
		reqs, err := r.be.Receive(r.ctx, queue, r.id, 16)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNotFound) {
				r.beat(r.ctx) // recreates the control queue
			} else if !warned {
				r.log.Warn("control receive failing; retrying", "err", err)
				warned = true
			}
			backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
			sleepCtx(r.ctx, backoff)
			continue
		}
		if warned {
			r.log.Info("control receiving again")
			warned = false
		}
		backoff = 0
		for _, req := range reqs {
			go r.control(req)
		}
	}
}

func (r *Registry) control(req driver.Request) {
	resp := r.execute(r.ctx, req, func(ctx context.Context) ([]byte, error) {
		if req.Method != "start" {
			return nil, fmt.Errorf("%w %q on host control queue", ErrUnknownMethod, req.Method)
		}
		var spec driver.Spec
		if err := json.Unmarshal(req.Payload, &spec); err != nil {
			return nil, fmt.Errorf("%w: spec: %v", ErrInvalid, err)
		}
		if !spec.Resources.Fits(r.free()) {
			return nil, fmt.Errorf("%w: host %s has %+v free, service %q needs %+v", ErrNoCapacity, r.id, r.free(), spec.Name, spec.Resources)
		}
		h, err := r.startLocal(ctx, spec, nil)
		if err != nil {
			return nil, err
		}
		r.beat(ctx) // advertise the new load at once
		return json.Marshal(h.spec)
	})
	r.reply(req, resp)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
