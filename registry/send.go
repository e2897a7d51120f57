package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// hostCheckInterval is how often a caller waiting on another host checks
// that the owner is still alive.
const hostCheckInterval = 500 * time.Millisecond

// send delivers a request through the backend and waits for its reply,
// failing with ErrHostGone if the owner stops heartbeating meanwhile, and
// with ErrLost if the service stops being registered (a reset). When
// service is set, liveness is judged by the service's current owner.
func (r *Registry) send(ctx context.Context, req driver.Request, owner, service string) (driver.Response, error) {
	req.ID = r.id + "." + strconv.FormatUint(r.seq.Add(1), 36)
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
	}
	ctx, cancel := context.WithCancelCause(ctx)
	var (
		mu     sync.Mutex
		done   bool // the call ended: no check may re-arm the timer
		timer  *time.Timer
		misses int
	)
	check := func() {
		gone := r.ownerGone(ctx, owner, service)
		mu.Lock()
		defer mu.Unlock()
		if gone != nil {
			// Twice in a row: a store that just restarted empty is
			// refilled by the next heartbeats, within a second.
			if misses++; misses >= 2 {
				cancel(gone)
				return
			}
		} else {
			misses = 0
		}
		if !done && ctx.Err() == nil {
			timer.Reset(hostCheckInterval)
		}
	}
	mu.Lock()
	timer = time.AfterFunc(hostCheckInterval, check)
	mu.Unlock()
	defer func() {
		mu.Lock()
		done = true
		timer.Stop()
		mu.Unlock()
		cancel(nil)
	}()
	resp, err := r.be.Send(ctx, req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && (errors.Is(c, ErrHostGone) || errors.Is(c, ErrLost)) {
			return resp, c
		}
		return resp, err
	}
	return resp, nil
}

// ownerGone says why a call to owner (or to service's current owner) can no
// longer be answered: ErrLost when the service is no longer registered (the
// namespace was reset, which drops queued requests), ErrHostGone when its
// owner stopped heartbeating; nil while it may still be, or when the store
// cannot tell.
func (r *Registry) ownerGone(ctx context.Context, owner, service string) error {
	if service != "" {
		sp, err := r.be.Lookup(ctx, service)
		if errors.Is(err, ErrNotFound) {
			// Gone with its host (reaped) or by a reset: the owner the
			// call was sent to tells which.
			if alive, err := r.be.HostAlive(ctx, owner); err == nil && !alive {
				return fmt.Errorf("%w: host %s stopped heartbeating", ErrHostGone, owner)
			}
			return fmt.Errorf("%w: service %q is no longer registered (namespace reset?)", ErrLost, service)
		}
		if err != nil {
			return nil
		}
		owner = sp.Owner
	}
	alive, err := r.be.HostAlive(ctx, owner)
	if err == nil && !alive {
		return fmt.Errorf("%w: host %s stopped heartbeating", ErrHostGone, owner)
	}
	return nil
}
