package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// brokenService is what a failing factory often returns: a typed nil whose
// Close would crash.
type brokenService struct{ state *int }

func (b *brokenService) Call(context.Context, string, []byte) ([]byte, error) { return nil, nil }
func (b *brokenService) Close() error                                         { *b.state = 0; return nil }

func init() {
	registry.RegisterFactory("fails-typed-nil", registry.FactoryOf(func(context.Context, struct{}) (registry.Service, error) {
		var s *brokenService
		return s, errors.New("no model here")
	}))
}

// A factory that fails owns what it returned: the registry reports its error
// and closes nothing (closing the typed nil above used to panic).
func TestFailingFactoryIsNotClosed(t *testing.T) {
	e := &env{t: t, dsn: "memory://failing-factory", ns: "failing-factory"}
	r := e.open()
	_, err := r.Register(ctx, "m", "fails-typed-nil")
	if err == nil || !strings.Contains(err.Error(), "no model here") {
		t.Fatalf("Register: %v, want the factory's error", err)
	}
	if ok, _ := r.Contains(ctx, "m"); ok {
		t.Fatal("a service whose factory failed is listed")
	}
}

// A host that has the factory but not the resources, with no other host to
// place on, is short of capacity; it used to say that no host has the factory.
func TestFactoryHereResourcesNowhereIsNoCapacity(t *testing.T) {
	e := &env{t: t, dsn: "memory://no-gpu-here", ns: "no-gpu-here"}
	r := e.open(registry.WithHostResources(registry.Resources{CPUs: 2, MemoryBytes: 1 << 30}))
	_, err := r.Register(ctx, "v", "value", registry.WithResources(registry.Resources{GPUs: 1}))
	if !errors.Is(err, registry.ErrNoCapacity) || errors.Is(err, registry.ErrUnknownFactory) {
		t.Fatalf("Register needing a GPU on a host without one: %v, want ErrNoCapacity only", err)
	}
	if !strings.Contains(err.Error(), "GPUs:1") {
		t.Errorf("the error does not say what was asked for: %v", err)
	}
}
