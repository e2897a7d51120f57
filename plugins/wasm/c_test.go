package wasm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm"
)

// A plugin in C, on Extism's kernel ABI with no PDK and no libc, is a
// service like the Go ones.
func TestCPlugin(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	h := register(t, reg, "c-echo", cEchoSrc, wasm.Args{})
	in := strings.Repeat("héllo ", 1000) + "!"
	if out, err := h.Call(ctx, "echo", []byte(in)); err != nil || string(out) != in {
		t.Fatalf("echo of %d bytes = %d bytes, %v", len(in), len(out), err)
	}
	if out, err := h.Call(ctx, "length", []byte(in)); err != nil || string(out) != "7001" {
		t.Fatalf("length = %q, %v; want 7001", out, err)
	}
	if out, err := h.Call(ctx, "noop", nil); err != nil || len(out) != 0 {
		t.Fatalf("noop = %q, %v", out, err)
	}
}
