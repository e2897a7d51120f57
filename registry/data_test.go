package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sandhost/sandhost/registry"
)

// Blobs and the key-value map are shared by every registry of the
// namespace, and Reset removes them with the services.
func TestDataStore(t *testing.T) {
	for _, dsn := range []string{"memory://data-test", "embedded://"} {
		t.Run(dsn, func(t *testing.T) {
			ctx := context.Background()
			a, err := registry.Open(ctx, dsn, registry.WithNamespace("data"))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := registry.Open(ctx, dsn, registry.WithNamespace("data"), registry.ClientOnly())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()

			sum, err := a.PutBlob(ctx, []byte("module bytes"))
			if err != nil {
				t.Fatal(err)
			}
			if len(sum) != 64 {
				t.Fatalf("sum %q", sum)
			}
			got, err := b.GetBlob(ctx, sum)
			if err != nil || string(got) != "module bytes" {
				t.Fatalf("GetBlob = %q, %v", got, err)
			}
			if _, err := b.GetBlob(ctx, "00"); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("missing blob: %v, want ErrNotFound", err)
			}
			if err := a.KVSet(ctx, "k", []byte("v1")); err != nil {
				t.Fatal(err)
			}
			if v, err := b.KVGet(ctx, "k"); err != nil || string(v) != "v1" {
				t.Fatalf("KVGet = %q, %v", v, err)
			}
			if err := b.KVDelete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.KVGet(ctx, "k"); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("deleted key: %v, want ErrNotFound", err)
			}
			a.KVSet(ctx, "k", []byte("v2"))
			if err := b.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := a.KVGet(ctx, "k"); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("key after reset: %v, want ErrNotFound", err)
			}
			if _, err := a.GetBlob(ctx, sum); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("blob after reset: %v, want ErrNotFound", err)
			}
		})
	}
}
