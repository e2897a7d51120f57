package registry

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"

	"github.com/sandhost/sandhost/registry/driver"
)

// Register registers a service built by the named factory. It runs in this
// process when this process has the factory and the resources, and is
// placed on a live host that accepts placement otherwise. Registration is
// atomic across hosts: of two racing registrations of one name, exactly one
// succeeds and the other gets ErrExists. Register returns once the service
// is constructed and ready for calls.
func (r *Registry) Register(ctx context.Context, name, factory string, opts ...RegisterOption) (*Handle, error) {
	spec, err := r.newSpec(name, opts)
	if err != nil {
		return nil, err
	}
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	spec.Factory = factory
	_, lerr := lookupFactory(factory)
	if lerr == nil && !r.cfg.clientOnly && spec.Resources.Fits(r.free()) {
		return r.startLocal(ctx, spec, nil)
	}
	h, err := r.place(ctx, spec)
	switch {
	case errors.Is(err, ErrUnknownFactory) && lerr == nil && !r.cfg.clientOnly:
		// This process has the factory, only not the resources: that is
		// a capacity problem, not a missing factory.
		err = fmt.Errorf("%w: service %q needs %+v; this host has factory %q but only %+v free, and no other live host with it accepts placement",
			ErrNoCapacity, name, spec.Resources, factory, r.free())
	case errors.Is(err, ErrUnknownFactory) && errors.Is(lerr, errUnavailable):
		// Say why this process could not run it either.
		err = fmt.Errorf("%w; %v", err, lerr)
	}
	return h, err
}

// RegisterService registers a service instance that this process already
// runs (TorchRL's "owner" registration). Other hosts see and call it; Reset
// removes its name but never closes it: its owner does. Constructor
// arguments make no sense here and are refused.
func (r *Registry) RegisterService(ctx context.Context, name string, svc Service, opts ...RegisterOption) (*Handle, error) {
	spec, err := r.newSpec(name, opts)
	if err != nil {
		return nil, err
	}
	if spec.Args != nil {
		return nil, fmt.Errorf("%w: WithArgs given with a service instance", ErrInvalid)
	}
	if svc == nil {
		return nil, fmt.Errorf("%w: nil service", ErrInvalid)
	}
	if r.cfg.clientOnly {
		return nil, fmt.Errorf("%w: a client-only registry cannot run a service instance", ErrInvalid)
	}
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	return r.startLocal(ctx, spec, svc)
}

func (r *Registry) newSpec(name string, opts []RegisterOption) (driver.Spec, error) {
	if err := validName(name); err != nil {
		return driver.Spec{}, err
	}
	rc := regConfig{}
	for _, o := range opts {
		o(&rc)
	}
	if rc.err != nil {
		return driver.Spec{}, rc.err
	}
	return driver.Spec{
		Name:           name,
		Args:           rc.args,
		MaxConcurrency: rc.maxConcurrency,
		Resources:      rc.resources,
		Created:        time.Now().UTC(),
	}, nil
}

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty service name", ErrInvalid)
	}
	if len(name) > 256 {
		return fmt.Errorf("%w: service name longer than 256 bytes", ErrInvalid)
	}
	for _, c := range name {
		if unicode.IsControl(c) || unicode.IsSpace(c) {
			return fmt.Errorf("%w: service name %q has a space or control character", ErrInvalid, name)
		}
	}
	return nil
}

// free is what this host has left for new services.
func (r *Registry) free() Resources {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info.Capacity.Sub(r.usedLocked())
}

func (r *Registry) usedLocked() Resources {
	var u Resources
	for _, s := range r.services {
		u = u.Add(s.spec.Resources)
	}
	return u
}
