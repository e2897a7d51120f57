package registry

import (
	"context"
	"fmt"
)

// Unregister removes a service that this process runs from the namespace:
// no new call reaches it, calls it was running are stopped as a reset
// stops them, and a service built here by a factory is closed (an instance
// given to RegisterService is left to its owner). It returns ErrNotFound
// when no service of that name runs here; a service of another host is
// that host's to remove.
func (r *Registry) Unregister(ctx context.Context, name string) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	if r.lookupLocal(name) == nil {
		return fmt.Errorf("%w: no service %q runs on host %s", ErrNotFound, name, r.id)
	}
	// A heartbeat re-asserts the services it reads as running here, and
	// would put the spec back after the release: wait for a beat under way
	// and keep the next one out until the service is stopped.
	r.beatMu.Lock()
	r.stopService(name, "unregistered")
	r.beatMu.Unlock()
	if err := r.be.Release(ctx, name, r.id); err != nil {
		return fmt.Errorf("registry: unregister %q: %w", name, err)
	}
	r.forget(name)
	return nil
}
