// Package registry is sandhost's service registry: named services in
// namespaces, shared by every host that opens the same store, callable from
// any of them.
//
// A registry is opened from a DSN whose scheme picks the backend:
//
//	memory://        one process
//	embedded://      an in-process Redis other hosts can join (default, "")
//	redis://…        a real Redis; rediss:// for TLS, Sentinel and Cluster too
//
// Services are built by factories registered by name in each process
// ([RegisterFactory]); a registration runs in the registering process when
// it has the factory and the resources, and is placed on a live host that
// has them otherwise. Calls reach the owner through the backend, or
// directly when caller and owner share the process.
package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/sandhost/sandhost/registry/driver"
	_ "github.com/sandhost/sandhost/registry/memory" // built-in drivers
	_ "github.com/sandhost/sandhost/registry/redis"
)

// Registry is one namespace of a store, seen from this process. It is safe
// for concurrent use. Unless opened with [ClientOnly], it is also a host: it
// heartbeats and runs the services it registers.
type Registry struct {
	cfg config
	ns  string
	be  driver.Backend
	// store identifies the store and namespace within this process (the
	// DSN as given plus the namespace).
	store string
	id    string
	log   *slog.Logger
	info  driver.HostInfo

	ctx    context.Context // background loops; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64

	mu       sync.Mutex
	services map[string]*running
	cache    map[string]driver.Spec
	cacheVer uint64
	watching bool // cache may be used: the change feed is live
	closed   bool

	beatMu sync.Mutex
	left   bool // under beatMu: Close has begun leaving; no beat may follow
}

// localHosts maps host IDs to the registries of this process, for the
// in-process fast path.
var localHosts sync.Map

// Drivers lists the DSN schemes of the registered backends.
func Drivers() []string { return driver.Schemes() }

// Open connects to the store named by dsn ("" means "embedded://") and
// returns the registry of one namespace. Close it when done: its services
// stop and vanish from the namespace.
func Open(ctx context.Context, dsn string, opts ...Option) (*Registry, error) {
	cfg := config{
		namespace:   DefaultNamespace,
		logger:      slog.Default(),
		ttl:         3 * time.Second,
		callTimeout: 60 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.namespace == "" {
		return nil, fmt.Errorf("%w: empty namespace", ErrInvalid)
	}
	if dsn == "" {
		dsn = "embedded://"
	}
	scheme, _, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, fmt.Errorf("%w: DSN %q has no scheme (known: %v)", ErrUnknownBackend, dsn, driver.Schemes())
	}
	d, err := driver.Lookup(scheme)
	if err != nil {
		return nil, err
	}
	be, err := d.Open(ctx, dsn, cfg.namespace)
	if err != nil {
		return nil, fmt.Errorf("registry: open %s backend: %w", scheme, err)
	}
	r := &Registry{
		cfg:      cfg,
		ns:       cfg.namespace,
		be:       be,
		store:    dsn + "\x00" + cfg.namespace,
		id:       newID(),
		log:      cfg.logger,
		services: map[string]*running{},
		cache:    map[string]driver.Spec{},
	}
	r.log = r.log.With("namespace", r.ns, "host", r.id)
	r.info = r.hostInfo()
	r.ctx, r.cancel = context.WithCancel(context.Background())

	events, err := be.Watch(r.ctx)
	if err != nil {
		r.cancel()
		be.Close()
		return nil, fmt.Errorf("registry: watch: %w", err)
	}
	r.wg.Add(1)
	live := make(chan struct{})
	go r.watch(events, live)
	// Wait for the change feed to be live so the first Get can be cached.
	select {
	case <-live:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}

	if !cfg.clientOnly {
		if err := r.beat(ctx); err != nil {
			r.cancel()
			be.Close()
			return nil, err
		}
		localHosts.Store(r.id, r)
		r.wg.Add(1)
		go r.heartbeatLoop()
		go r.controlLoop() // not in r.wg, like serve loops

	}
	return r, nil
}

func newID() string {
	var b [6]byte
	rand.Read(b[:])
	h, _ := os.Hostname()
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return fmt.Sprintf("%s-%d-%s", h, os.Getpid(), hex.EncodeToString(b[:]))
}

func (r *Registry) hostInfo() driver.HostInfo {
	hn, _ := os.Hostname()
	capacity := Resources{CPUs: float64(runtime.NumCPU()), MemoryBytes: totalMemory()}
	if r.cfg.capacity != nil {
		capacity = *r.cfg.capacity
	}
	return driver.HostInfo{
		ID:        r.id,
		Hostname:  hn,
		PID:       os.Getpid(),
		Factories: Factories(),
		Capacity:  capacity,
		Placement: r.cfg.placement,
		Started:   time.Now().UTC(),
	}
}

func totalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return math.MaxInt64
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return math.MaxInt64
}

// Namespace is the registry's namespace.
func (r *Registry) Namespace() string { return r.ns }

// HostID is this process's host ID in the namespace.
func (r *Registry) HostID() string { return r.id }

// Addr is the address other hosts can give to Open to join this store (for
// the embedded backend, the loopback address it listens on).
func (r *Registry) Addr() string { return r.be.Addr() }

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty service name", ErrInvalid)
	}
	if len(name) > 256 {
		return fmt.Errorf("%w: service name longer than 256 bytes", ErrInvalid)
	}
	for _, c := range name {
		if unicode.IsControl(c) || unicode.IsSpace(c) {
			return fmt.Errorf("%w: service name %q has a space or control character", ErrInvalid, name)
		}
	}
	return nil
}

func (r *Registry) checkOpen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return nil
}

// Register registers a service built by the named factory. It runs in this
// process when this process has the factory and the resources, and is
// placed on a live host that accepts placement otherwise. Registration is
// atomic across hosts: of two racing registrations of one name, exactly one
// succeeds and the other gets ErrExists. Register returns once the service
// is constructed and ready for calls.
func (r *Registry) Register(ctx context.Context, name, factory string, opts ...RegisterOption) (*Handle, error) {
	spec, err := r.newSpec(name, opts)
	if err != nil {
		return nil, err
	}
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	spec.Factory = factory
	_, lerr := lookupFactory(factory)
	if lerr == nil && !r.cfg.clientOnly && spec.Resources.Fits(r.free()) {
		return r.startLocal(ctx, spec, nil)
	}
	h, err := r.place(ctx, spec)
	if errors.Is(err, ErrUnknownFactory) && errors.Is(lerr, errUnavailable) {
		// Say why this process could not run it either.
		err = fmt.Errorf("%w; %v", err, lerr)
	}
	return h, err
}

// RegisterService registers a service instance that this process already
// runs (TorchRL's "owner" registration). Other hosts see and call it; Reset
// removes its name but never closes it: its owner does. Constructor
// arguments make no sense here and are refused.
func (r *Registry) RegisterService(ctx context.Context, name string, svc Service, opts ...RegisterOption) (*Handle, error) {
	spec, err := r.newSpec(name, opts)
	if err != nil {
		return nil, err
	}
	if spec.Args != nil {
		return nil, fmt.Errorf("%w: WithArgs given with a service instance", ErrInvalid)
	}
	if svc == nil {
		return nil, fmt.Errorf("%w: nil service", ErrInvalid)
	}
	if r.cfg.clientOnly {
		return nil, fmt.Errorf("%w: a client-only registry cannot run a service instance", ErrInvalid)
	}
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	return r.startLocal(ctx, spec, svc)
}

func (r *Registry) newSpec(name string, opts []RegisterOption) (driver.Spec, error) {
	if err := validName(name); err != nil {
		return driver.Spec{}, err
	}
	rc := regConfig{}
	for _, o := range opts {
		o(&rc)
	}
	if rc.err != nil {
		return driver.Spec{}, rc.err
	}
	return driver.Spec{
		Name:           name,
		Args:           rc.args,
		MaxConcurrency: rc.maxConcurrency,
		Resources:      rc.resources,
		Created:        time.Now().UTC(),
	}, nil
}

// free is what this host has left for new services.
func (r *Registry) free() Resources {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info.Capacity.Sub(r.usedLocked())
}

func (r *Registry) usedLocked() Resources {
	var u Resources
	for _, s := range r.services {
		u = u.Add(s.spec.Resources)
	}
	return u
}

// place asks a live host that accepts placement to run the service.
func (r *Registry) place(ctx context.Context, spec driver.Spec) (*Handle, error) {
	if _, err := r.be.Lookup(ctx, spec.Name); err == nil {
		return nil, fmt.Errorf("%w: service %q in namespace %q; use Get to retrieve it", ErrExists, spec.Name, r.ns)
	}
	hosts, err := r.be.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	var withFactory, fit []driver.HostInfo
	for _, h := range hosts {
		if !h.Placement || h.ID == r.id || !contains(h.Factories, spec.Factory) {
			continue
		}
		withFactory = append(withFactory, h)
		if spec.Resources.Fits(h.Capacity.Sub(h.Used)) {
			fit = append(fit, h)
		}
	}
	if len(withFactory) == 0 {
		where := "this process"
		if r.cfg.clientOnly {
			where = "this client"
		}
		if countPlacement(hosts) == 0 {
			return nil, fmt.Errorf("%w %q: no live host accepts placement in namespace %q, and %s cannot run it (factories %v); start one with `host serve --redis %s --namespace %s`",
				ErrUnknownFactory, spec.Factory, r.ns, where, Factories(), r.be.Addr(), r.ns)
		}
		return nil, fmt.Errorf("%w %q: neither %s (factories %v) nor any of the %d live hosts accepting placement in namespace %q has it",
			ErrUnknownFactory, spec.Factory, where, Factories(), countPlacement(hosts), r.ns)
	}
	if len(fit) == 0 {
		return nil, fmt.Errorf("%w: service %q needs %+v; no host with factory %q has that free", ErrNoCapacity, spec.Name, spec.Resources, spec.Factory)
	}
	// Fewest services first; ties broken by ID for determinism.
	sort.Slice(fit, func(i, j int) bool {
		if fit[i].Services != fit[j].Services {
			return fit[i].Services < fit[j].Services
		}
		return fit[i].ID < fit[j].ID
	})
	var errs []error
	for _, target := range fit {
		h, err := r.placeOn(ctx, target.ID, spec)
		if err == nil {
			return h, nil
		}
		// A host that died or left since it was listed, or filled up
		// meanwhile, did not run the service: the next one may.
		if !errors.Is(err, ErrHostGone) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNoCapacity) {
			return nil, err
		}
		r.log.Debug("placement refused; trying the next host", "service", spec.Name, "on", target.ID, "err", err)
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// placeOn asks one host to run the service.
func (r *Registry) placeOn(ctx context.Context, hostID string, spec driver.Spec) (*Handle, error) {
	payload, _ := json.Marshal(spec)
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	resp, err := r.send(ctx, driver.Request{Queue: driver.HostQueue(hostID), Method: "start", Payload: payload}, hostID, "")
	if err != nil {
		return nil, fmt.Errorf("registry: place %q on host %s: %w", spec.Name, hostID, err)
	}
	if err := responseError(resp, spec.Name, "start"); err != nil {
		return nil, err
	}
	var placed driver.Spec
	if err := json.Unmarshal(resp.Payload, &placed); err != nil {
		return nil, fmt.Errorf("registry: bad reply from host %s: %w", hostID, err)
	}
	r.log.Debug("service placed", "service", spec.Name, "on", hostID)
	return &Handle{r: r, spec: placed}, nil
}

func countPlacement(hs []driver.HostInfo) int {
	n := 0
	for _, h := range hs {
		if h.Placement {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Get returns a handle to a live service. After the first Get of a name,
// further Gets are answered from a cache that the store's change feed keeps
// coherent, without a round trip.
func (r *Registry) Get(ctx context.Context, name string) (*Handle, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if sp, ok := r.cache[name]; ok {
		r.mu.Unlock()
		return &Handle{r: r, spec: sp}, nil
	}
	ver := r.cacheVer
	r.mu.Unlock()
	sp, err := r.be.Lookup(ctx, name)
	if errors.Is(err, ErrNotFound) {
		names, lerr := r.List(ctx)
		if lerr != nil {
			return nil, fmt.Errorf("%w: service %q in namespace %q", ErrNotFound, name, r.ns)
		}
		return nil, fmt.Errorf("%w: service %q in namespace %q; available services: %v", ErrNotFound, name, r.ns, names)
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.watching && r.cacheVer == ver {
		r.cache[name] = sp
	}
	r.mu.Unlock()
	return &Handle{r: r, spec: sp}, nil
}

// Contains reports whether a live service of that name exists.
func (r *Registry) Contains(ctx context.Context, name string) (bool, error) {
	_, err := r.Get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// List returns the names of the live services, sorted.
func (r *Registry) List(ctx context.Context) ([]string, error) {
	specs, err := r.Specs(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names, nil
}

// Specs returns the specs of the live services, sorted by name.
func (r *Registry) Specs(ctx context.Context) ([]Spec, error) {
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	specs, err := r.be.List(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

// Hosts lists the live hosts of the namespace, sorted by ID.
func (r *Registry) Hosts(ctx context.Context) ([]HostInfo, error) {
	hs, err := r.be.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	return hs, nil
}

// Reset stops every service of the namespace, on every host, and empties
// it. Other namespaces are untouched. Instances registered with
// RegisterService are unregistered but not closed.
func (r *Registry) Reset(ctx context.Context) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	gen, err := r.be.Reset(ctx)
	if err != nil {
		return err
	}
	// Hosts elsewhere stop on the change feed; those of this process on
	// the same store stop now, so no call reaches them after Reset returns.
	localHosts.Range(func(_, v any) bool {
		if o := v.(*Registry); o.store == r.store {
			o.stopOlder(gen)
		}
		return true
	})
	r.mu.Lock()
	clear(r.cache)
	r.cacheVer++
	r.mu.Unlock()
	return nil
}

// stopOlder stops the local services claimed before generation gen.
func (r *Registry) stopOlder(gen string) {
	r.mu.Lock()
	var stale []string
	for name, s := range r.services {
		if s.spec.Generation != "" && s.spec.Generation != gen {
			stale = append(stale, name)
		}
	}
	r.mu.Unlock()
	for _, name := range stale {
		r.stopService(name, "namespace reset")
	}
}

// Close stops this host's services, removes them from the namespace and
// disconnects. It is safe to call more than once.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	// No heartbeat may run after Leave: one would put the host back (a
	// ghost that placement picks). Taking beatMu waits for a beat in flight.
	r.beatMu.Lock()
	r.left = true
	r.beatMu.Unlock()
	r.stopAll("registry closed")
	var err error
	if !r.cfg.clientOnly {
		localHosts.Delete(r.id)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = r.be.Leave(ctx, r.id)
		cancel()
	}
	r.cancel()
	// Closing the backend first ends blocking reads at once.
	if cerr := r.be.Close(); err == nil {
		err = cerr
	}
	r.wg.Wait()
	return err
}

func (r *Registry) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, r.cfg.callTimeout)
}

// watch applies the change feed: it keeps the Get cache coherent and stops
// local services when the namespace is reset.
func (r *Registry) watch(events <-chan driver.Event, live chan struct{}) {
	defer r.wg.Done()
	for ev := range events {
		r.mu.Lock()
		r.cacheVer++
		switch ev.Kind {
		case driver.Changed:
			delete(r.cache, ev.Name)
		case driver.Cleared, driver.Resync:
			clear(r.cache)
			r.watching = true
		}
		r.mu.Unlock()
		// Only now, with watching set, may Open return and Get cache.
		if live != nil && ev.Kind == driver.Resync {
			close(live)
			live = nil
		}
		if ev.Kind == driver.Cleared {
			r.stopOlder(ev.Name)
		}
	}
}
