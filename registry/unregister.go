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
	// A heartbeat re-asserts the services it reads as running here, and
	// would put the spec back after the release: wait for a beat under way,
	// so that the next one finds the service gone. Only the removal holds
	// the beats back; a service still being built is waited for after it,
	// or a long construction would stop the heartbeat and get the host
	// reaped.
	r.beatMu.Lock()
	run := r.detachService(name)
	r.beatMu.Unlock()
	if run == nil {
		return fmt.Errorf("%w: no service %q runs on host %s", ErrNotFound, name, r.id)
	}
	r.finishStop(name, run, "unregistered")
	if err := r.be.Release(ctx, name, r.id); err != nil {
		return fmt.Errorf("registry: unregister %q: %w", name, err)
	}
	r.forget(name)
	return nil
}
