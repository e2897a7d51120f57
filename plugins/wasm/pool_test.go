package wasm_test

import (
	"context"
	"sync"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
)

// Called directly by more goroutines than it has instances, a plugin
// makes callers wait for a warm instance rather than start more.
func TestPoolBoundsInstances(t *testing.T) {
	p := newPlugin(t, misbehaveSrc, wasm.Args{Instances: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := p.Call(context.Background(), "ok", nil); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if s := p.Stats(); s.Created > 2 || s.Calls != 40 {
		t.Fatalf("stats %+v: want at most 2 instances for 40 calls", s)
	}
}
