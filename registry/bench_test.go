package registry_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// BenchmarkCallInProcess is the same-process fast path: caller and owner
// share the process, so a call is a map lookup, a slot and the method.
func BenchmarkCallInProcess(b *testing.B) {
	for _, dsn := range []string{"memory://bench", "embedded://"} {
		b.Run(strings.SplitN(dsn, ":", 2)[0], func(b *testing.B) {
			r, err := registry.Open(ctx, dsn, registry.WithNamespace("bench-inproc"))
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			noop := registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })
			h, err := r.RegisterService(ctx, "noop", noop, registry.WithMaxConcurrency(64))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Call(ctx, "x", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetCached is Get of a known service: answered from the cache
// that the change feed keeps coherent.
func BenchmarkGetCached(b *testing.B) {
	r, err := registry.Open(ctx, "embedded://", registry.WithNamespace("bench-get"))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Register(ctx, "v", "value"); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Get(ctx, "v"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Get(ctx, "v"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList is List of a namespace of 10,000 services, from a host
// that owns none of them (so no local shortcut), on each store.
func BenchmarkList(b *testing.B) {
	const n = 10000
	srv := testredis.Start(b)
	for _, dsn := range []string{"memory://bench-list", "embedded://", srv.URL()} {
		b.Run(strings.SplitN(dsn, ":", 2)[0], func(b *testing.B) {
			owner, err := registry.Open(ctx, dsn, registry.WithNamespace("bench-list"))
			if err != nil {
				b.Fatal(err)
			}
			defer owner.Close()
			noop := registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })
			for i := range n {
				if _, err := owner.RegisterService(ctx, "svc-"+strconv.Itoa(i), noop); err != nil {
					b.Fatal(err)
				}
			}
			addr := owner.Addr()
			if addr == "" { // memory: the store is the process's, by name
				addr = dsn
			}
			lister, err := registry.Open(ctx, addr, registry.WithNamespace("bench-list"), registry.ClientOnly())
			if err != nil {
				b.Fatal(err)
			}
			defer lister.Close()
			b.ReportAllocs()
			for b.Loop() {
				names, err := lister.List(ctx)
				if err != nil || len(names) != n {
					b.Fatalf("List: %d names, %v", len(names), err)
				}
			}
		})
	}
}
