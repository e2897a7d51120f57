package wasm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// Plugin services on the embedded miniredis ("embedded://"), a host and a
// client of it in one process: the client registers a module it stored,
// the host runs it, and the client's calls, the key-value store and the
// failure reasons all go through miniredis.
func TestOnEmbeddedMiniredis(t *testing.T) {
	ctx := context.Background()
	const dsn, ns = "embedded://", "mini"
	host, err := registry.Open(ctx, dsn, registry.WithNamespace(ns), registry.AcceptPlacement())
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	client, err := registry.Open(ctx, dsn, registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	counter := register(t, client, "counter", counterSrc, wasm.Args{}, registry.WithMaxConcurrency(1))
	if owner := counter.Spec().Owner; owner != host.HostID() {
		t.Fatalf("counter runs on %q, want the host %q", owner, host.HostID())
	}
	for i := 1; i <= 3; i++ {
		out, err := counter.Call(ctx, "incr_shared", []byte("n"))
		if err != nil || string(out) != string(rune('0'+i)) {
			t.Fatalf("incr_shared #%d = %q, %v", i, out, err)
		}
	}
	if v, err := client.KVGet(ctx, wasm.KVPrefix+"n"); err != nil || string(v) != "3" {
		t.Fatalf("the namespace's key-value store holds %q, %v; want 3", v, err)
	}
	m := register(t, client, "misbehave", misbehaveSrc, wasm.Args{})
	if _, err := m.Call(ctx, "trap", nil); !errors.Is(err, wasm.ErrTrap) {
		t.Fatalf("trap through miniredis: %v, want ErrTrap", err)
	}
	if out, err := m.Call(ctx, "ok", []byte("after")); err != nil || string(out) != "after" {
		t.Fatalf("call after a trap: %q, %v", out, err)
	}
}
