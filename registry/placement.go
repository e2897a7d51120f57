package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/sandhost/sandhost/registry/driver"
)

// place asks a live host that accepts placement to run the service.
func (r *Registry) place(ctx context.Context, spec driver.Spec) (*Handle, error) {
	if _, err := r.be.Lookup(ctx, spec.Name); err == nil {
		return nil, fmt.Errorf("%w: service %q in namespace %q; use Get to retrieve it", ErrExists, spec.Name, r.ns)
	}
	hosts, err := r.be.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	var withFactory, fit []driver.HostInfo
	for _, h := range hosts {
		if !h.Placement || h.ID == r.id || !contains(h.Factories, spec.Factory) {
			continue
		}
		withFactory = append(withFactory, h)
		if spec.Resources.Fits(h.Capacity.Sub(h.Used)) {
			fit = append(fit, h)
		}
	}
	if len(withFactory) == 0 {
		where := "this process"
		if r.cfg.clientOnly {
			where = "this client"
		}
		if countPlacement(hosts) == 0 {
			return nil, fmt.Errorf("%w %q: no live host accepts placement in namespace %q, and %s cannot run it (factories %v); start one with `host serve --redis %s --namespace %s`",
				ErrUnknownFactory, spec.Factory, r.ns, where, Factories(), r.be.Addr(), r.ns)
		}
		return nil, fmt.Errorf("%w %q: neither %s (factories %v) nor any of the %d live hosts accepting placement in namespace %q has it",
			ErrUnknownFactory, spec.Factory, where, Factories(), countPlacement(hosts), r.ns)
	}
	if len(fit) == 0 {
		return nil, fmt.Errorf("%w: service %q needs %+v; no host with factory %q has that free", ErrNoCapacity, spec.Name, spec.Resources, spec.Factory)
	}
	// Fewest services first; ties broken by ID for determinism.
	sort.Slice(fit, func(i, j int) bool {
		if fit[i].Services != fit[j].Services {
			return fit[i].Services < fit[j].Services
		}
		return fit[i].ID < fit[j].ID
	})
	var errs []error
	for _, target := range fit {
		h, err := r.placeOn(ctx, target.ID, spec)
		if err == nil {
			return h, nil
		}
		// A host that died or left since it was listed, or filled up
		// meanwhile, did not run the service: the next one may.
		if !errors.Is(err, ErrHostGone) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNoCapacity) {
			return nil, err
		}
		r.log.Debug("placement refused; trying the next host", "service", spec.Name, "on", target.ID, "err", err)
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// placeOn asks one host to run the service.
func (r *Registry) placeOn(ctx context.Context, hostID string, spec driver.Spec) (*Handle, error) {
	payload, _ := json.Marshal(spec)
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	resp, err := r.send(ctx, driver.Request{Queue: driver.HostQueue(hostID), Method: "start", Payload: payload}, hostID, "")
	if err != nil {
		return nil, fmt.Errorf("registry: place %q on host %s: %w", spec.Name, hostID, err)
	}
	if err := responseError(resp, spec.Name, "start"); err != nil {
		return nil, err
	}
	var placed driver.Spec
	if err := json.Unmarshal(resp.Payload, &placed); err != nil {
		return nil, fmt.Errorf("registry: bad reply from host %s: %w", hostID, err)
	}
	r.log.Debug("service placed", "service", spec.Name, "on", hostID)
	return &Handle{r: r, spec: placed}, nil
}

func countPlacement(hs []driver.HostInfo) int {
	n := 0
	for _, h := range hs {
		if h.Placement {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
