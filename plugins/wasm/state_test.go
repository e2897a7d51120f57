package wasm

import (
	"context"
	"errors"
	"testing"

	"github.com/sandhost/sandhost/plugins/wasm/wasmtest"
)

// With one instance, a counter counts on after a failure even when the
// failure's background replacement comes while a caller already runs on an
// instance it started itself: the instance that served the call is kept,
// not the replacement.
func TestSingleInstanceKeepsStateAfterFailure(t *testing.T) {
	ctx := context.Background()
	p, err := New(ctx, Args{Module: wasmtest.Build(t, "plugins/wasm/testdata/lifecycle"), Instances: 1}, Options{Name: "state"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The replacement waits until the caller's own instance is busy.
	gate := make(chan struct{})
	start := p.pool.start
	p.pool.start = func(ctx context.Context) (*instance, error) {
		if ctx == p.pool.ctx {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return start(ctx)
	}
	if _, err := p.Call(ctx, "trap", nil); !errors.Is(err, ErrTrap) {
		t.Fatalf("trap: %v, want ErrTrap", err)
	}
	// A call as Call makes it, with the replacement landing during its run.
	inst, err := p.pool.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, out, err := inst.ext.CallWithContext(ctx, "incr", nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, string(out))
	close(gate)
	p.pool.refill.Wait()
	p.pool.put(inst)
	for range 2 {
		out, err := p.Call(ctx, "incr", nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(out))
	}
	if got[0] != "1" || got[1] != "2" || got[2] != "3" {
		t.Fatalf("a single-instance counter counted %v after a failure, want [1 2 3]", got)
	}
	if s := p.Stats(); s.Idle != 1 {
		t.Errorf("stats %+v: want 1 instance idle", s)
	}
}
