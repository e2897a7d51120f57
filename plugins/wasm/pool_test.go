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

// A new plugin counts the instance it started with, and a call on that
// warm instance starts no other.
func TestStatsCountFirstInstance(t *testing.T) {
	p := newPlugin(t, cEchoSrc, wasm.Args{Instances: 2})
	if s := p.Stats(); s.Created != 1 || s.Idle != 1 {
		t.Fatalf("stats of a new plugin %+v: want 1 instance created, 1 idle", s)
	}
	if _, err := p.Call(context.Background(), "noop", nil); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Created != 1 || s.Idle != 1 || s.Calls != 1 {
		t.Fatalf("stats after a call %+v: want 1 instance created, 1 idle, 1 call", s)
	}
}
