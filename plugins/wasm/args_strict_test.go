package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// The factory refuses an unknown arg, as FactoryOf promises: Args'
// own UnmarshalJSON ignored one ("instance": 3 registered a service with
// the default instances and no word said).
func TestUnknownArgIsRefused(t *testing.T) {
	ctx := context.Background()
	r, err := registry.Open(ctx, "memory://"+t.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Register(ctx, "p", wasm.FactoryName, registry.WithArgs(map[string]any{"module_sha256": "00", "instance": 3}))
	if !errors.Is(err, registry.ErrInvalid) || !strings.Contains(err.Error(), "instance") {
		t.Fatalf("register with an unknown arg: %v, want ErrInvalid naming it", err)
	}
}
