package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/registry/driver"
)

// Handle is a reference to a registered service. It is cheap, safe for
// concurrent use, and stays valid while the service is registered.
type Handle struct {
	r    *Registry
	spec driver.Spec
}

// Name is the service's name.
func (h *Handle) Name() string { return h.spec.Name }

// Spec is the service's spec as it was when the handle was obtained.
func (h *Handle) Spec() Spec { return h.spec }

// Call calls a method of the service. It reaches the owner wherever it
// runs: directly when the owner is in this process, through the store
// otherwise. Without a deadline on ctx the registry's call timeout applies.
// Errors: ErrNotFound (the service is gone), ErrHostGone (its host died
// while the call waited), ErrDeadlineExceeded, ErrUnknownMethod, or a
// *ServiceError from the service's code.
func (h *Handle) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	r := h.r
	if v, ok := localHosts.Load(h.spec.Owner); ok {
		if run := v.(*Registry).lookupLocal(h.spec.Name); run != nil {
			if _, has := ctx.Deadline(); !has {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, r.cfg.callTimeout)
				defer cancel()
			}
			out, err := run.call(ctx, method, payload)
			if err != nil {
				return nil, callError(h.spec.Name, method, err)
			}
			return out, nil
		}
	}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	req := driver.Request{Queue: driver.ServiceQueue(h.spec.Name), Method: method, Payload: payload}
	resp, err := r.send(ctx, req, h.spec.Owner, h.spec.Name)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			r.forget(h.spec.Name)
			return nil, fmt.Errorf("%w: service %q in namespace %q", ErrNotFound, h.spec.Name, r.ns)
		}
		return nil, fmt.Errorf("call %s.%s: %w", h.spec.Name, method, err)
	}
	if err := responseError(resp, h.spec.Name, method); err != nil {
		return nil, err
	}
	return resp.Payload, nil
}

// CallJSON calls a method with in encoded as JSON and decodes the reply
// into Out: one line per call for typed clients.
func CallJSON[Out any](ctx context.Context, h *Handle, method string, in any) (Out, error) {
	var out Out
	payload, err := json.Marshal(in)
	if err != nil {
		return out, fmt.Errorf("%w: encode %s.%s payload: %v", ErrInvalid, h.Name(), method, err)
	}
	res, err := h.Call(ctx, method, payload)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(res, &out); err != nil {
		return out, fmt.Errorf("decode %s.%s reply into %T: %w", h.Name(), method, out, err)
	}
	return out, nil
}
