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
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	inbox  inbox // wakes the readers of this host's queues (arrivals.go)

	mu       sync.Mutex
	services map[string]*localService
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
	// The heartbeat ticks every third of the TTL, and a tick below a
	// millisecond would only spin.
	if cfg.ttl < minHeartbeatTTL {
		return nil, fmt.Errorf("%w: heartbeat TTL %v below %v", ErrInvalid, cfg.ttl, minHeartbeatTTL)
	}
	if cfg.callTimeout <= 0 {
		return nil, fmt.Errorf("%w: call timeout %v is not positive", ErrInvalid, cfg.callTimeout)
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
		services: map[string]*localService{},
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
		r.wg.Add(3)
		go r.heartbeatLoop()
		go r.arrivalsLoop()
		go r.controlLoop()
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
	capacity := MachineResources()
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

// Namespace is the registry's namespace.
func (r *Registry) Namespace() string { return r.ns }

// HostID is this process's host ID in the namespace.
func (r *Registry) HostID() string { return r.id }

// Addr is the address other hosts can give to Open to join this store (for
// the embedded backend, the loopback address it listens on).
func (r *Registry) Addr() string { return r.be.Addr() }

func (r *Registry) checkOpen() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return nil
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
	// Leave deleted this host's queues, which ends their blocking reads;
	// the backend waits (briefly) for what is still under way.
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
