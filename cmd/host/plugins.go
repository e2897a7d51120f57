package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/sandhost/sandhost/plugins/wasm" // the "wasm" factory
	"github.com/sandhost/sandhost/registry"
)

// storeModule stores the module in FILE in the namespace and returns the
// args JSON with its module_sha256 set: `host register NAME wasm --module
// FILE` works from any machine, and the hosts fetch the module by its sum.
func storeModule(ctx context.Context, r *registry.Registry, file, args string) (json.RawMessage, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--module: %v", err)
	}
	a := map[string]any{}
	if args != "" {
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			return nil, usagef("--args must be a JSON object with --module: %v", err)
		}
	}
	stored, err := wasm.Store(ctx, r, b)
	if err != nil {
		return nil, err
	}
	a["module_sha256"] = stored.ModuleSHA256
	raw, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode args: %w", err)
	}
	return raw, nil
}
