package registry

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// DefaultNamespace is the namespace used when none is given, by the
// registry, the CLI and the Python interpreter alike.
const DefaultNamespace = "default"

// Resources is what a service asks of its host, or what a host offers.
type Resources = driver.Resources

// Spec is the plain description of a registered service, as stored.
type Spec = driver.Spec

// HostInfo is what a live host advertises.
type HostInfo = driver.HostInfo

// Option configures Open.
type Option func(*config)

type config struct {
	namespace   string
	logger      *slog.Logger
	ttl         time.Duration
	callTimeout time.Duration
	placement   bool
	clientOnly  bool
	capacity    *Resources
}

// WithNamespace selects the namespace (default [DefaultNamespace]).
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// minHeartbeatTTL is the shortest heartbeat TTL Open accepts.
const minHeartbeatTTL = 10 * time.Millisecond

// WithHeartbeatTTL sets how long this host stays alive without a heartbeat
// (default 3s, at least 10ms; it beats every third of that). A dead host's
// services vanish within about that time.
func WithHeartbeatTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithCallTimeout sets the deadline given to calls whose context has none
// (default 60s; it must be positive): no call waits forever.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// AcceptPlacement makes this process a host that runs services registered
// by other processes that lack the factory or the resources (the `host
// serve` daemon does this). Without it, a process runs only what it
// registers itself.
func AcceptPlacement() Option { return func(c *config) { c.placement = true } }

// ClientOnly makes this registry a pure client: it runs no service, sends
// no heartbeat, and places every registration on a live host that accepts
// placement, so the service outlives this process (the CLI does this).
func ClientOnly() Option { return func(c *config) { c.clientOnly = true } }

// WithHostResources sets what this host offers to services (default: all
// CPUs, no GPU, the machine's memory).
func WithHostResources(r Resources) Option { return func(c *config) { c.capacity = &r } }

// RegisterOption configures one registration. Constructor arguments
// ([WithArgs]) and backend options (the rest) are separate, so an option
// never becomes an argument by accident.
type RegisterOption func(*regConfig)

type regConfig struct {
	args           json.RawMessage
	maxConcurrency int
	resources      Resources
	err            error
}

// WithArgs sets the constructor arguments, encoded as JSON (a
// json.RawMessage or []byte that holds JSON is used as is).
func WithArgs(v any) RegisterOption {
	return func(c *regConfig) {
		switch a := v.(type) {
		case json.RawMessage:
			c.args = a
		case []byte:
			c.args = a
		default:
			b, err := json.Marshal(v)
			if err != nil {
				c.err = fmt.Errorf("%w: args: %v", ErrInvalid, err)
				return
			}
			c.args = b
		}
		if !json.Valid(c.args) {
			c.err = fmt.Errorf("%w: args are not valid JSON", ErrInvalid)
		}
	}
}

// WithMaxConcurrency bounds how many calls the service runs at once; further
// calls queue in FIFO order. The default is the service's own
// ConcurrencyHint, else 1 (like a Ray actor).
func WithMaxConcurrency(n int) RegisterOption {
	return func(c *regConfig) {
		if n < 1 {
			c.err = fmt.Errorf("%w: max concurrency %d < 1", ErrInvalid, n)
		}
		c.maxConcurrency = n
	}
}

// WithResources says what the service needs from its host; it is placed on
// a host that has them free.
func WithResources(r Resources) RegisterOption { return func(c *regConfig) { c.resources = r } }
