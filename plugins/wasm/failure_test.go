package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// A trapping, a looping and a memory-hungry call (also one that logged
// more than the error keeps of stderr first) each fail with their reason,
// naming the plugin and the function; the instance is replaced and the
// next call succeeds. An error the guest reports keeps its instance.
func TestFailuresReplaceInstance(t *testing.T) {
	// Go's runtime collects a few times before it gives up on memory: a
	// second or more under -race, hence the generous timeout (the loop is
	// stopped by the caller's deadline instead).
	p := newPlugin(t, misbehaveSrc, wasm.Args{Timeout: time.Minute, Memory: 32 << 20, Instances: 1})
	for _, c := range []struct {
		fn       string
		deadline time.Duration
		want     error
	}{
		{"trap", time.Minute, wasm.ErrTrap},
		{"loop", 500 * time.Millisecond, wasm.ErrTimeout},
		{"hog", time.Minute, wasm.ErrMemory},
		{"noisyhog", time.Minute, wasm.ErrMemory},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
		defer cancel()
		before := p.Stats().Discarded
		_, err := p.Call(ctx, c.fn, nil)
		var ce *wasm.CallError
		if !errors.Is(err, c.want) || !errors.As(err, &ce) || ce.Function != c.fn || !strings.Contains(err.Error(), `"test-testdata/misbehave"`) {
			t.Fatalf("%s: %v, want %v naming the plugin and the function", c.fn, err, c.want)
		}
		if got := p.Stats().Discarded; got != before+1 {
			t.Errorf("%s: %d instances discarded, want %d", c.fn, got, before+1)
		}
		out, err := p.Call(context.Background(), "ok", []byte("after "+c.fn))
		if err != nil || string(out) != "after "+c.fn {
			t.Fatalf("healthy call after %s = %q, %v", c.fn, out, err)
		}
	}
	before := p.Stats()
	_, err := p.Call(context.Background(), "fail", []byte("x"))
	var ce *wasm.CallError
	if !errors.As(err, &ce) || ce.Reason != nil || !strings.Contains(err.Error(), "refused: x") {
		t.Fatalf("guest error: %v, want a CallError with the guest's message and no reason", err)
	}
	// Discarded, not Created: the replacement of the last failure's
	// instance may still be starting in the background.
	if after := p.Stats(); after.Discarded != before.Discarded {
		t.Errorf("a guest error replaced the instance: %+v -> %+v", before, after)
	}
}

// The plugin's own timeout stops a loop as the caller's deadline does,
// and says so.
func TestPluginTimeout(t *testing.T) {
	p := newPlugin(t, misbehaveSrc, wasm.Args{Timeout: 300 * time.Millisecond})
	_, err := p.Call(context.Background(), "loop", nil)
	if !errors.Is(err, wasm.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "plugin timeout 300ms") {
		t.Fatalf("loop past the plugin's timeout: %v, want ErrTimeout, context.DeadlineExceeded and the timeout", err)
	}
}

// An instance's guest runtime has started (Go's runtime and package init)
// before a call gets the instance, so a plugin that takes far longer to
// start than its timeout serves its first call, and the first after a
// failure, on the new instance.
func TestTimeoutExcludesInstanceStart(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	// The plugin's package init waits for this: a second, far beyond the
	// plugin's timeout.
	data := registry.ServiceFunc(func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		select {
		case <-time.After(time.Second):
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	if _, err := reg.RegisterService(ctx, "data", data); err != nil {
		t.Fatal(err)
	}
	h := register(t, reg, "slowinit", slowInitSrc, wasm.Args{Instances: 1, Timeout: 300 * time.Millisecond, Config: map[string]string{"service": "data"}})
	if out, err := h.Call(ctx, "ok", []byte("first")); err != nil || string(out) != "first" {
		t.Fatalf("first call = %q, %v", out, err)
	}
	if _, err := h.Call(ctx, "trap", nil); !errors.Is(err, wasm.ErrTrap) {
		t.Fatalf("trap: %v, want ErrTrap", err)
	}
	if out, err := h.Call(ctx, "ok", []byte("after trap")); err != nil || string(out) != "after trap" {
		t.Fatalf("first call on the replacement = %q, %v", out, err)
	}
}

// sandhost_call reaches another service of the namespace; the plugin's
// timeout interrupts it while it waits there, and the call fails with
// ErrTimeout instead of hanging.
func TestHostCall(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	if _, err := reg.Register(ctx, "tok", "tokenizer", registry.WithArgs(map[string]int{"vocab_size": 1000})); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	stuck := registry.ServiceFunc(func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-release:
			return nil, errors.New("released at the end of the test")
		}
	})
	if _, err := reg.RegisterService(ctx, "stuck", stuck); err != nil {
		t.Fatal(err)
	}
	h := register(t, reg, "caller", misbehaveSrc, wasm.Args{Config: map[string]string{"service": "tok", "method": "encode"}})
	out, err := h.Call(ctx, "call", []byte(`"hi"`))
	if err != nil || string(out) != "[104,105]" {
		t.Fatalf("plugin calling tok.encode = %q, %v", out, err)
	}
	waiter := register(t, reg, "waiter", misbehaveSrc, wasm.Args{Timeout: 300 * time.Millisecond, Config: map[string]string{"service": "stuck", "method": "x"}})
	callCtx, cancel := context.WithTimeout(ctx, time.Minute) // the test's bound, far beyond the plugin's
	defer cancel()
	if _, err := waiter.Call(callCtx, "call", nil); !errors.Is(err, wasm.ErrTimeout) {
		t.Fatalf("plugin waiting in sandhost_call: %v, want ErrTimeout", err)
	}
}

// A guest that exits with status 0 (C's exit(0), Go's os.Exit(0)) ends its
// call as it left it, output included, and its instance, which cannot run
// again: the next call runs on another.
func TestExitZeroReplacesInstance(t *testing.T) {
	ctx := context.Background()
	p := newPlugin(t, lifecycleSrc, wasm.Args{Instances: 1})
	if out, err := p.Call(ctx, "quit", nil); err != nil || string(out) != "bye" {
		t.Fatalf("quit = %q, %v; want its output and no error", out, err)
	}
	if s := p.Stats(); s.Discarded != 1 {
		t.Errorf("stats %+v: want the exited instance discarded", s)
	}
	for _, want := range []string{"1", "2"} {
		if out, err := p.Call(ctx, "incr", nil); err != nil || string(out) != want {
			t.Fatalf("incr after an exit = %q, %v; want %q", out, err, want)
		}
	}
}
