package registry_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/registry"
)

// Unregister removes a local service from every host's view, frees its
// name, closes what a factory built and leaves an instance to its owner;
// another host's service is not this host's to remove.
func TestUnregister(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		peer := e.open()
		mustRegister(t, r, "v", "value", registry.WithArgs(map[string]int{"value": 1}))
		owner := &counter{}
		if _, err := r.RegisterService(ctx, "owned", owner); err != nil {
			t.Fatal(err)
		}
		h, err := peer.Get(ctx, "v") // cached by the peer from here on
		if err != nil {
			t.Fatal(err)
		}
		if err := peer.Unregister(ctx, "v"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Unregister of another host's service: err = %v, want ErrNotFound", err)
		}

		if err := r.Unregister(ctx, "v"); err != nil {
			t.Fatal(err)
		}
		if ok, err := r.Contains(ctx, "v"); ok || err != nil {
			t.Fatalf("Contains after Unregister = %v, %v", ok, err)
		}
		waitUntil(t, "the peer sees v gone", func() bool { ok, _ := peer.Contains(ctx, "v"); return !ok })
		if _, err := h.Call(ctx, "get", nil); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("call through an old handle: err = %v, want ErrNotFound", err)
		}
		if err := r.Unregister(ctx, "v"); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("second Unregister: err = %v, want ErrNotFound", err)
		}
		mustRegister(t, peer, "v", "value", registry.WithArgs(map[string]int{"value": 2}))
		if v := getValue(t, r, "v"); v != 2 {
			t.Fatalf("v registered again = %d, want 2", v)
		}

		if err := r.Unregister(ctx, "owned"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := peer.Contains(ctx, "owned"); ok {
			t.Fatal("owned still registered after Unregister")
		}
		if owner.closed.Load() {
			t.Fatal("Unregister closed an instance its owner registered")
		}
	})
}

// A heartbeat re-asserts the services that run on its host (a store that
// lost them gets them back): the beats after Unregister must not.
func TestUnregisteredStaysGoneAcrossBeats(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open(registry.WithHeartbeatTTL(30 * time.Millisecond)) // a beat every 10 ms
		peer := e.open()
		for range 5 {
			if _, err := r.RegisterService(ctx, "s", &counter{}); err != nil {
				t.Fatal(err)
			}
			if err := r.Unregister(ctx, "s"); err != nil {
				t.Fatal(err)
			}
			// The beats after the stop advertise no service; once the peer
			// reads that, any beat under way at the stop has finished.
			waitUntil(t, "a beat after the stop", func() bool {
				hs, _ := peer.Hosts(ctx)
				for _, h := range hs {
					if h.ID == r.HostID() {
						return h.Services == 0
					}
				}
				return false
			})
			if ok, err := peer.Contains(ctx, "s"); ok || err != nil {
				t.Fatalf("unregistered service back after a beat: Contains = %v, %v", ok, err)
			}
		}
	})
}

// gatedBuilds are the "gated" factory's constructions in progress, by the
// "gate" argument: the factory reports that it started and waits until the
// test releases it.
var gatedBuilds sync.Map // string -> *gatedBuild

type gatedBuild struct {
	started, release chan struct{}
	built            *counter
}

func init() {
	registry.RegisterFactory("gated", registry.FactoryOf(func(_ context.Context, a struct{ Gate string }) (registry.Service, error) {
		v, _ := gatedBuilds.Load(a.Gate)
		g := v.(*gatedBuild)
		close(g.started)
		<-g.release
		return g.built, nil
	}))
}

// Unregistering a service still being built keeps the host's heartbeat
// going (it used to hold the beats back until the factory returned, so a
// construction longer than the TTL got the host reaped with all its
// services), and the claim the construction then makes does not outlive it.
func TestUnregisterDuringConstructionKeepsBeating(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open(registry.WithHeartbeatTTL(300 * time.Millisecond))
		peer := e.open()
		if _, err := r.RegisterService(ctx, "other", &counter{}); err != nil {
			t.Fatal(err)
		}
		g := &gatedBuild{started: make(chan struct{}), release: make(chan struct{}), built: &counter{}}
		gatedBuilds.Store(t.Name(), g)
		release := sync.OnceFunc(func() { close(g.release) })
		t.Cleanup(release) // a failed wait must not leave the construction, and so Close, hanging
		registered := make(chan error, 1)
		go func() {
			_, err := r.Register(ctx, "slow", "gated", registry.WithArgs(map[string]string{"gate": t.Name()}))
			registered <- err
		}()
		<-g.started
		advertised := func(n int) func() bool {
			return func() bool {
				hs, _ := peer.Hosts(ctx)
				for _, h := range hs {
					if h.ID == r.HostID() {
						return h.Services == n
					}
				}
				return false
			}
		}
		waitUntil(t, "a beat advertising the service being built", advertised(2))
		unregistered := make(chan error, 1)
		go func() { unregistered <- r.Unregister(ctx, "slow") }()
		waitUntil(t, "a beat after Unregister, the construction still under way", advertised(1))
		release()
		if err := <-unregistered; err != nil {
			t.Fatalf("Unregister: %v", err)
		}
		if err := <-registered; !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Register of a service unregistered while built: %v, want ErrNotFound", err)
		}
		if !g.built.closed.Load() {
			t.Fatal("the service built after its Unregister was not closed")
		}
		if names, err := peer.List(ctx); err != nil || !slices.Equal(names, []string{"other"}) {
			t.Fatalf("services after: %v, %v; want [other]", names, err)
		}
	})
}
