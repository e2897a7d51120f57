package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

func init() {
	registry.RegisterFactory("panics", registry.FactoryOf(func(context.Context, struct{}) (registry.Service, error) {
		panic("memory limit above 4 GiB")
	}))
}

// A factory that panics fails its registration and leaves the host running,
// whether it runs in the registering process or on a host it is placed on
// (a remote `host register` used to crash `host serve`).
func TestPanickingFactoryIsAnError(t *testing.T) {
	e := &env{t: t, dsn: "memory://panicking-factory", ns: "panicking-factory"}
	host := e.open(registry.AcceptPlacement())
	client := e.open(registry.ClientOnly())
	for name, r := range map[string]*registry.Registry{"in process": host, "placed": client} {
		_, err := r.Register(ctx, "p", "panics")
		if err == nil || !strings.Contains(err.Error(), "memory limit above 4 GiB") {
			t.Fatalf("%s: Register: %v, want the panic as an error", name, err)
		}
		if ok, _ := r.Contains(ctx, "p"); ok {
			t.Fatalf("%s: a service whose factory panicked is listed", name)
		}
	}
	// The host still serves placements.
	h := mustRegister(t, client, "v", "value", registry.WithArgs(map[string]int{"value": 3}))
	if v, err := registry.CallJSON[int](ctx, h, "get", nil); err != nil || v != 3 {
		t.Fatalf("after the panics, get = %d, %v", v, err)
	}
}

// Timings that cannot work are refused by Open: a zero TTL panicked in the
// heartbeat goroutine, and a call timeout of zero failed every call.
func TestOpenRefusesBadTimings(t *testing.T) {
	for name, opt := range map[string]registry.Option{
		"zero TTL":          registry.WithHeartbeatTTL(0),
		"tiny TTL":          registry.WithHeartbeatTTL(time.Nanosecond),
		"zero call timeout": registry.WithCallTimeout(0),
		"negative timeout":  registry.WithCallTimeout(-time.Second),
	} {
		r, err := registry.Open(ctx, "memory://bad-timings", opt)
		if !errors.Is(err, registry.ErrInvalid) {
			if err == nil {
				r.Close()
			}
			t.Errorf("%s: Open: %v, want ErrInvalid", name, err)
		}
	}
}
