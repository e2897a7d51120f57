package dropin

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sandhost/sandhost/plugins/wasm"
)

// service is what a drop-in plugin registers: it stays registered across
// upgrades, so the registry's name, queue and limiter never change, and it
// gives each call to the version that is current when the call comes.
type service struct {
	name string
	cur  atomic.Pointer[version] // nil once removed
}

// version is one compiled build of a plugin and the calls it is running.
// Once retired it takes no call, and drained closes when its last call
// has returned.
type version struct {
	plugin *wasm.Plugin
	key    string // what it was built from (contentKey)

	mu      sync.Mutex
	calls   int
	retired bool
	drained chan struct{}
}

func newVersion(p *wasm.Plugin, key string) *version {
	return &version{plugin: p, key: key, drained: make(chan struct{})}
}

// Call implements registry.Service.
func (s *service) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	for {
		v := s.cur.Load()
		if v == nil {
			return nil, fmt.Errorf("drop-in plugin %q was removed: %w", s.name, wasm.ErrClosed)
		}
		if v.enter() {
			defer v.leave()
			return v.plugin.Call(ctx, method, payload)
		}
		// Retired between Load and enter: the pointer already names its
		// successor (or nil).
	}
}

// MaxConcurrency implements registry.ConcurrencyHint: the first version's
// instances (the registry keeps it for the service's lifetime).
func (s *service) MaxConcurrency() int {
	if v := s.cur.Load(); v != nil {
		return v.plugin.MaxConcurrency()
	}
	return 0
}

func (v *version) enter() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.retired {
		return false
	}
	v.calls++
	return true
}

func (v *version) leave() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls--
	if v.retired && v.calls == 0 {
		close(v.drained)
	}
}

// retire makes v take no more calls and returns a channel closed when the
// calls it runs have returned.
func (v *version) retire() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.retired {
		v.retired = true
		if v.calls == 0 {
			close(v.drained)
		}
	}
	return v.drained
}
