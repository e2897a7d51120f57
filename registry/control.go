package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// controlLoop serves this host's control queue: placement of services by
// other processes. Like a service's reader, it reads when the arrivals loop
// wakes it, and again at once while its reads fill their batch; it backs
// off while the store is unreachable and logs the start and the end of an
// outage, not each try.
func (r *Registry) controlLoop() {
	defer r.wg.Done()
	const batch = 16
	queue := driver.HostQueue(r.id)
	wake := r.inbox.open(queue)
	defer r.inbox.close(queue, wake)
	backoff := time.Duration(0)
	warned := false // log the start and the end of an outage, not each try
	more := true
	for r.ctx.Err() == nil {
		if !more {
			select {
			case <-wake:
			case <-r.ctx.Done():
				return
			}
		}
		drain(wake)
		reqs, err := r.be.Receive(r.ctx, queue, r.id, batch, 0)
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
			more = true
			continue
		}
		if warned {
			r.log.Info("control receiving again")
			warned = false
		}
		backoff = 0
		more = len(reqs) == batch
		for _, req := range reqs {
			go r.startPlaced(req)
		}
	}
}

// startPlaced runs a service that another process placed on this host and
// replies with its spec.
func (r *Registry) startPlaced(req driver.Request) {
	resp := r.respond(r.ctx, req, func(ctx context.Context) ([]byte, error) {
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
