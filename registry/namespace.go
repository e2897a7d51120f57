package registry

import (
	"context"
	"slices"
	"sort"
)

// List returns the names of the live services, sorted.
func (r *Registry) List(ctx context.Context) ([]string, error) {
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	names, err := r.be.Names(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

// Specs returns the specs of the live services, sorted by name.
func (r *Registry) Specs(ctx context.Context) ([]Spec, error) {
	if err := r.checkOpen(); err != nil {
		return nil, err
	}
	specs, err := r.be.List(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

// Hosts lists the live hosts of the namespace, sorted by ID.
func (r *Registry) Hosts(ctx context.Context) ([]HostInfo, error) {
	hs, err := r.be.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].ID < hs[j].ID })
	return hs, nil
}

// Reset stops every service of the namespace, on every host, and empties
// it. Other namespaces are untouched. Instances registered with
// RegisterService are unregistered but not closed.
func (r *Registry) Reset(ctx context.Context) error {
	if err := r.checkOpen(); err != nil {
		return err
	}
	gen, err := r.be.Reset(ctx)
	if err != nil {
		return err
	}
	// Hosts elsewhere stop on the change feed; those of this process on
	// the same store stop now, so no call reaches them after Reset returns.
	localHosts.Range(func(_, v any) bool {
		if o := v.(*Registry); o.store == r.store {
			o.stopOlder(gen)
		}
		return true
	})
	r.mu.Lock()
	clear(r.cache)
	r.cacheVer++
	r.mu.Unlock()
	return nil
}

// stopOlder stops the local services claimed before generation gen.
func (r *Registry) stopOlder(gen string) {
	r.mu.Lock()
	var stale []string
	for name, s := range r.services {
		if s.spec.Generation != "" && s.spec.Generation != gen {
			stale = append(stale, name)
		}
	}
	r.mu.Unlock()
	for _, name := range stale {
		r.stopService(name, "namespace reset")
	}
}
