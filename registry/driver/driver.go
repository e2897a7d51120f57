// Package driver defines the interface a registry backend implements, in the
// way database/sql/driver does for databases: the registry package holds the
// user-facing API and all host logic; a backend only stores specs, tracks live
// hosts, moves call messages and publishes change events for one namespace.
//
// Backends join with [Register] and are chosen by the scheme of the DSN given
// to registry.Open. A new backend needs no change to the registry package.
package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Sentinel errors shared by every backend. The registry package re-exports
// them, so callers test them with errors.Is against registry.ErrNotFound etc.
var (
	ErrNotFound       = errors.New("service not found")
	ErrExists         = errors.New("service already exists")
	ErrUnknownBackend = errors.New("unknown backend")
	ErrHostGone       = errors.New("host gone")
	ErrClosed         = errors.New("registry closed")
	ErrLost           = errors.New("call lost")
)

// Resources is what a service asks of its host, or what a host offers.
type Resources struct {
	CPUs        float64 `json:"cpus,omitempty"`
	GPUs        int     `json:"gpus,omitempty"`
	MemoryBytes int64   `json:"memory_bytes,omitempty"`
}

// Fits reports whether r fits in the capacity c.
func (r Resources) Fits(c Resources) bool {
	return r.CPUs <= c.CPUs && r.GPUs <= c.GPUs && r.MemoryBytes <= c.MemoryBytes
}

// Sub returns r minus o.
func (r Resources) Sub(o Resources) Resources {
	return Resources{CPUs: r.CPUs - o.CPUs, GPUs: r.GPUs - o.GPUs, MemoryBytes: r.MemoryBytes - o.MemoryBytes}
}

// Add returns r plus o.
func (r Resources) Add(o Resources) Resources {
	return Resources{CPUs: r.CPUs + o.CPUs, GPUs: r.GPUs + o.GPUs, MemoryBytes: r.MemoryBytes + o.MemoryBytes}
}

// Spec is the plain, serialisable description of a registered service.
type Spec struct {
	Name           string          `json:"name"`
	Factory        string          `json:"factory,omitempty"` // empty for a registered instance
	Args           json.RawMessage `json:"args,omitempty"`
	MaxConcurrency int             `json:"max_concurrency"`
	Resources      Resources       `json:"resources,omitzero"`
	Owner          string          `json:"owner"` // ID of the host that runs it
	Created        time.Time       `json:"created"`
	// Generation is the namespace generation the spec was claimed in; a
	// reset starts a new one, which tells hosts to stop older services.
	Generation string `json:"gen,omitempty"`
}

// HostInfo is what a live host advertises with its heartbeat.
type HostInfo struct {
	ID         string    `json:"id"`
	Hostname   string    `json:"hostname"`
	PID        int       `json:"pid"`
	Factories  []string  `json:"factories,omitempty"`
	Capacity   Resources `json:"capacity"`
	Used       Resources `json:"used"`
	Services   int       `json:"services"`
	Placement  bool      `json:"placement"` // accepts services placed by other processes
	ClientOnly bool      `json:"client_only,omitempty"`
	Started    time.Time `json:"started"`
}

// Request is one call message. Queue names the destination: a service's
// queue ([ServiceQueue]) or a host's control queue ([HostQueue]).
type Request struct {
	ID       string
	Queue    string
	Method   string
	Payload  []byte
	Deadline time.Time // zero: none
	// Ticket is backend-private (e.g. a stream entry ID) and goes back with
	// the Response through Reply.
	Ticket  string
	ReplyTo string
}

// Response is the answer to a Request. Code is empty on success; otherwise
// it names the error class and Message describes it. Codes are the
// registry's (one table, registry/codes.go); a backend carries them as is.
type Response struct {
	ID      string
	Payload []byte
	Code    string
	Message string
}

// EventKind classifies change notifications.
type EventKind int

// Event kinds.
const (
	// Changed: the spec of Name was added, removed or replaced.
	Changed EventKind = iota
	// Cleared: the namespace was reset; Name holds the new generation and
	// every host stops its services of older generations.
	Cleared
	// Resync: events may have been lost (e.g. a reconnect); drop caches.
	Resync
)

// Event is a change notification for the namespace.
type Event struct {
	Kind EventKind
	Name string
}

// Backend is one namespace of one store. All methods are safe for concurrent
// use. Liveness is the backend's job: Lookup and List never return a service
// whose owner's heartbeat has expired.
type Backend interface {
	// Claim adds spec atomically and creates its call queue. It returns
	// the spec with its Generation set, or ErrExists if the name is taken
	// by a live owner.
	Claim(ctx context.Context, spec Spec) (Spec, error)
	// Release removes the service if owner owns it (any owner if empty).
	Release(ctx context.Context, name, owner string) error
	// Lookup returns the live spec of name or ErrNotFound.
	Lookup(ctx context.Context, name string) (Spec, error)
	// List returns all live specs, in no particular order.
	List(ctx context.Context) ([]Spec, error)
	// Names returns the names of all live services, in no particular
	// order: List without fetching and decoding the specs.
	Names(ctx context.Context) ([]string, error)
	// Reset removes every service and queue of the namespace, starts a new
	// generation, publishes a Cleared event and returns the generation.
	Reset(ctx context.Context) (gen string, err error)

	// Beat refreshes a host's heartbeat for ttl and re-asserts the specs it
	// owns (so a store restarted empty is refilled). It returns the names
	// of owned specs the host must stop: the namespace was reset since, or
	// another host holds the name now.
	Beat(ctx context.Context, h HostInfo, ttl time.Duration, owned []Spec) (stop []string, err error)
	// Hosts lists live hosts.
	Hosts(ctx context.Context) ([]HostInfo, error)
	// HostAlive reports whether the host's heartbeat is current.
	HostAlive(ctx context.Context, id string) (bool, error)
	// Leave removes a host, its control queue and the services it owns.
	Leave(ctx context.Context, id string) error
	// Reap removes hosts whose heartbeat expired and their services.
	Reap(ctx context.Context) error

	// Send delivers req to its queue and waits for the response, until ctx
	// is done. A queue that does not exist gives ErrNotFound at once; a
	// request the store lost before it was answered gives ErrLost.
	Send(ctx context.Context, req Request) (Response, error)
	// Arrivals waits a short while (at most about a second) for requests
	// sent to the queues of host (its services' queues and its control
	// queue) and returns the names of the queues that got some, each
	// once; none if the wait ended empty. A request is reported by a call
	// that begins after it was sent, or by one under way then, unless its
	// queue's reader will look anyway: a request sent after one that was
	// reported and before the next Receive of its queue, or while a
	// Receive with a wait on it is under way or was the last, need not be
	// (so a reader whose last Receive waited, or took as many as it asked
	// for, receives again before it relies on Arrivals). Requests sent
	// before the host's first call, or while a call failed, may not be
	// reported either: the host reads each queue once after its first
	// call and after an error. One wait per host covers all its queues, whatever their
	// number: a blocked read per queue cost miniredis work on every
	// command and a connection each on a real Redis (RATIONALE.md).
	Arrivals(ctx context.Context, host string) ([]string, error)
	// Receive takes up to max requests waiting on queue, as consumer. If
	// none waits it waits for some up to wait (not at all if wait is 0),
	// holding a connection meanwhile: a host has at most
	// MaxWaitingReceives such calls under way. A request taken is not
	// given to another Receive. It returns ErrNotFound when the queue does
	// not exist (anymore).
	Receive(ctx context.Context, queue, consumer string, max int, wait time.Duration) ([]Request, error)
	// Reply sends resp to the caller of req and acknowledges req.
	Reply(ctx context.Context, req Request, resp Response) error

	// Watch returns change events until ctx is done.
	Watch(ctx context.Context) (<-chan Event, error)
	// Addr is the address other hosts use to join this store ("" if none).
	Addr() string
	// Close releases the backend's connections.
	Close() error
}

// MaxWaitingReceives bounds the Receive calls with a wait that one host
// (one Backend) has under way at once, so that a backend can size what
// they hold. The host waits on the queues of the services that served a
// call last (a round trip less than Arrivals then Receive), on no more.
const MaxWaitingReceives = 4

// Driver opens backends. Open is called with the full DSN given to
// registry.Open and the namespace.
type Driver interface {
	Open(ctx context.Context, dsn, namespace string) (Backend, error)
}

var (
	driversMu sync.RWMutex
	drivers   = make(map[string]Driver)
)

// Register makes a driver available under a DSN scheme (e.g. "redis"). It
// panics if called twice for one scheme or with a nil driver, like
// database/sql.Register.
func Register(scheme string, d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d == nil {
		panic("driver: Register driver is nil")
	}
	if _, dup := drivers[scheme]; dup {
		panic("driver: Register called twice for scheme " + scheme)
	}
	drivers[scheme] = d
}

// Lookup returns the driver of a scheme.
func Lookup(scheme string) (Driver, error) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	d, ok := drivers[scheme]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownBackend, scheme, schemesLocked())
	}
	return d, nil
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	return schemesLocked()
}

func schemesLocked() []string {
	s := make([]string, 0, len(drivers))
	for k := range drivers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
