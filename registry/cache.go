package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/registry/driver"
)

// Get returns a handle to a live service. After the first Get of a name,
// further Gets are answered from a cache that the store's change feed keeps
// coherent, without a round trip.
func (r *Registry) Get(ctx context.Context, name string) (*Handle, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if sp, ok := r.cache[name]; ok {
		r.mu.Unlock()
		return &Handle{r: r, spec: sp}, nil
	}
	ver := r.cacheVer
	r.mu.Unlock()
	sp, err := r.be.Lookup(ctx, name)
	if errors.Is(err, ErrNotFound) {
		names, lerr := r.List(ctx)
		if lerr != nil {
			return nil, fmt.Errorf("%w: service %q in namespace %q", ErrNotFound, name, r.ns)
		}
		return nil, fmt.Errorf("%w: service %q in namespace %q; available services: %s", ErrNotFound, name, r.ns, shortList(names))
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.watching && r.cacheVer == ver {
		r.cache[name] = sp
	}
	r.mu.Unlock()
	return &Handle{r: r, spec: sp}, nil
}

// Contains reports whether a live service of that name exists.
func (r *Registry) Contains(ctx context.Context, name string) (bool, error) {
	_, err := r.Get(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (r *Registry) forget(name string) {
	r.mu.Lock()
	delete(r.cache, name)
	r.cacheVer++
	r.mu.Unlock()
}

// watch applies the change feed: it keeps the Get cache coherent and stops
// local services when the namespace is reset.
func (r *Registry) watch(events <-chan driver.Event, live chan struct{}) {
	defer r.wg.Done()
	for ev := range events {
		r.mu.Lock()
		r.cacheVer++
		switch ev.Kind {
		case driver.Changed:
			delete(r.cache, ev.Name)
		case driver.Cleared, driver.Resync:
			clear(r.cache)
			r.watching = true
		}
		r.mu.Unlock()
		// Only now, with watching set, may Open return and Get cache.
		if live != nil && ev.Kind == driver.Resync {
			close(live)
			live = nil
		}
		if ev.Kind == driver.Cleared {
			r.stopOlder(ev.Name)
		}
	}
}

// shownNames is how many names a not-found error lists: enough to spot a
// typo, not a message of every service in a large namespace.
const shownNames = 20

// shortList formats sorted names for an error, the first shownNames and
// how many more there are.
func shortList(names []string) string {
	if len(names) <= shownNames {
		return fmt.Sprint(names)
	}
	return fmt.Sprintf("%v and %d more", names[:shownNames], len(names)-shownNames)
}
