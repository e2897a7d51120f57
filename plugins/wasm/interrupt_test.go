package wasm_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// promptly bounds how long a call may take to fail after its 300ms
// timeout: far more than a loaded machine needs, far less than the wait
// the test arranges when nothing interrupts the plugin (a minute).
const promptly = 10 * time.Second

// callWithin calls fn on the plugin and fails the test unless the call
// ends with ErrTimeout (and the deadline) within promptly.
func callWithin(t *testing.T, p *wasm.Plugin, fn string, in []byte) {
	t.Helper()
	start := time.Now()
	_, err := p.Call(context.Background(), fn, in)
	took := time.Since(start)
	if !errors.Is(err, wasm.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s past its 300ms timeout: %v, want ErrTimeout", fn, err)
	}
	if took > promptly {
		t.Fatalf("%s took %v to time out after 300ms: the host function held the plugin", fn, took)
	}
	t.Logf("%s timed out after %v", fn, took)
}

// A plugin waiting in sandhost_kv_set on a Redis that does not answer is
// stopped at its timeout: the store's client would wait for its own read
// timeout (here a minute), and the call must not.
func TestTimeoutInterruptsKV(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	reg, err := registry.Open(ctx, srv.URL()+"?read_timeout=60s", registry.WithNamespace("kv"),
		registry.WithLogger(slog.New(slog.DiscardHandler))) // its heartbeats fail during the pause, as they should
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	p, err := wasm.New(ctx, wasm.Args{Module: mustBuild(t, counterSrc), Timeout: 300 * time.Millisecond, Instances: 1},
		wasm.Options{Name: "counter", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if out, err := p.Call(ctx, "incr_shared", []byte("n")); err != nil || string(out) != "1" {
		t.Fatalf("incr_shared = %q, %v", out, err)
	}

	// Writes wait until UNPAUSE (or a minute); reads go on, so the GET
	// before the SET answers and the plugin is inside sandhost_kv_set.
	admin := srv.Client()
	if err := admin.Do(ctx, "CLIENT", "PAUSE", "60000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	unpaused := false
	unpause := func() {
		if !unpaused {
			unpaused = true
			if err := admin.Do(ctx, "CLIENT", "UNPAUSE").Err(); err != nil {
				t.Error(err)
			}
		}
	}
	defer unpause()
	callWithin(t, p, "incr_shared", []byte("n"))
	unpause()

	// The instance was replaced, the store is whole: the write of the
	// interrupted call may land or not, never twice. Starting the
	// replacement (which can take longer than 300ms under -race) is not
	// part of this call's timeout.
	out, err := p.Call(ctx, "incr_shared", []byte("n"))
	if err != nil || (string(out) != "2" && string(out) != "3") {
		t.Fatalf("incr_shared after the interrupted one = %q, %v; want 2 or 3", out, err)
	}
}

// A plugin waiting in sandhost_call for a service that ignores its context
// (it answers only when the test ends) is stopped at its timeout.
func TestTimeoutInterruptsServiceCall(t *testing.T) {
	ctx := context.Background()
	reg, _ := openMemory(t)
	release := make(chan struct{})
	defer close(release)
	deaf := registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
		return []byte("late"), nil
	})
	if _, err := reg.RegisterService(ctx, "deaf", deaf); err != nil {
		t.Fatal(err)
	}
	p, err := wasm.New(ctx, wasm.Args{Module: mustBuild(t, misbehaveSrc), Timeout: 300 * time.Millisecond, Instances: 1,
		Config: map[string]string{"service": "deaf", "method": "x"}},
		wasm.Options{Name: "caller", Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	callWithin(t, p, "call", nil)
	if out, err := p.Call(ctx, "ok", []byte("next")); err != nil || string(out) != "next" {
		t.Fatalf("call after the interrupted one = %q, %v", out, err)
	}
}
