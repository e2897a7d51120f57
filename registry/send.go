package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// hostCheckInterval is how often a caller waiting on another host checks
// that the owner is still alive.
const hostCheckInterval = 500 * time.Millisecond

// send delivers a request through the backend and waits for its reply,
// failing with ErrHostGone if the owner stops heartbeating meanwhile. When
// service is set, liveness is judged by the service's current owner.
func (r *Registry) send(ctx context.Context, req driver.Request, owner, service string) (driver.Response, error) {
	req.ID = r.id + "." + strconv.FormatUint(r.seq.Add(1), 36)
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var timer *time.Timer
	misses := 0
	check := func() {
		alive, err := r.ownerAlive(ctx, owner, service)
		if err == nil && !alive {
			// Twice in a row: a store that just restarted empty is
			// refilled by the next heartbeats, within a second.
			if misses++; misses >= 2 {
				cancel(fmt.Errorf("%w: host %s stopped heartbeating", ErrHostGone, owner))
				return
			}
		} else if err == nil {
			misses = 0
		}
		if ctx.Err() == nil {
			timer.Reset(hostCheckInterval)
		}
	}
	timer = time.AfterFunc(hostCheckInterval, check)
	defer timer.Stop()
	resp, err := r.be.Send(ctx, req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && errors.Is(c, ErrHostGone) {
			return resp, c
		}
		return resp, err
	}
	return resp, nil
}

func (r *Registry) ownerAlive(ctx context.Context, owner, service string) (bool, error) {
	if service != "" {
		sp, err := r.be.Lookup(ctx, service)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		owner = sp.Owner
	}
	return r.be.HostAlive(ctx, owner)
}
