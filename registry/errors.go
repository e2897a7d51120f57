package registry

import (
	"context"
	"errors"

	"github.com/sandhost/sandhost/registry/driver"
)

// Errors returned by the registry, to be tested with errors.Is. The messages
// of wrapped errors carry the detail (e.g. the available service names).
var (
	// ErrNotFound: no live service of that name in the namespace.
	ErrNotFound = driver.ErrNotFound
	// ErrExists: the name is taken in the namespace.
	ErrExists = driver.ErrExists
	// ErrUnknownBackend: the DSN's scheme names no registered driver.
	ErrUnknownBackend = driver.ErrUnknownBackend
	// ErrHostGone: the host that owns the service stopped heartbeating.
	ErrHostGone = driver.ErrHostGone
	// ErrClosed: the registry was closed.
	ErrClosed = driver.ErrClosed
	// ErrLost: a call's request vanished from the store before it was
	// answered (Redis restarted without persistence, or the namespace was
	// reset); it may or may not have run.
	ErrLost = driver.ErrLost
	// ErrUnknownFactory: no process that could run the service (this one
	// or a live host accepting placements) has the factory.
	ErrUnknownFactory = errors.New("unknown factory")
	// ErrNoCapacity: hosts have the factory, but none has the resources
	// the service asks for left.
	ErrNoCapacity = errors.New("no host with the resources asked for")
	// ErrUnknownMethod: the service has no such method.
	ErrUnknownMethod = errors.New("unknown method")
	// ErrInvalid: a bad argument or option (empty name, args given with an
	// instance, malformed args).
	ErrInvalid = errors.New("invalid argument")
	// ErrDeadlineExceeded is context.DeadlineExceeded: a call that ran out
	// of time matches both names.
	ErrDeadlineExceeded = context.DeadlineExceeded
)

// ServiceError is an error returned by a service's own code, possibly on
// another host, where only its message survives the trip.
type ServiceError struct {
	Service, Method, Message string
}

func (e *ServiceError) Error() string {
	return "service " + e.Service + "." + e.Method + ": " + e.Message
}
