package registry

import (
	"context"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// beat refreshes the heartbeat and re-asserts the services this host owns;
// it stops those the store says are no longer ours.
func (r *Registry) beat(ctx context.Context) error {
	r.beatMu.Lock()
	if r.left {
		r.beatMu.Unlock()
		return ErrClosed
	}
	r.mu.Lock()
	info := r.info
	info.Factories = Factories() // availability can change (an artefact built)
	info.Used = r.usedLocked()
	info.Services = len(r.services)
	owned := make([]driver.Spec, 0, len(r.services))
	for _, s := range r.services {
		if s.spec.Generation != "" {
			owned = append(owned, s.spec)
		}
	}
	r.mu.Unlock()
	stop, err := r.be.Beat(ctx, info, r.cfg.ttl, owned)
	if err != nil {
		r.beatMu.Unlock()
		return err
	}
	// Removed under the lock, closed after it: a slow Close must not hold
	// back the next beat.
	detached := make(map[string]*localService, len(stop))
	for _, name := range stop {
		if run := r.detachService(name); run != nil {
			detached[name] = run
		}
	}
	r.beatMu.Unlock()
	for name, run := range detached {
		r.finishStop(name, run, "reset or taken over")
	}
	return nil
}

func (r *Registry) heartbeatLoop() {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.ttl / 3)
	defer t.Stop()
	failing := false // log the start and the end of an outage, not every beat
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.cfg.ttl/3)
		err := r.beat(ctx)
		if err == nil {
			// Every host reaps: whoever notices a dead host first removes
			// its services, so they vanish within about one TTL.
			err = r.be.Reap(ctx)
		}
		cancel()
		switch {
		case r.ctx.Err() != nil:
			return
		case err != nil && !failing:
			r.log.Warn("heartbeat failing; services of this host may be listed as gone until it recovers", "err", err)
			failing = true
		case err == nil && failing:
			r.log.Info("heartbeat recovered")
			failing = false
		}
	}
}
