package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
)

// blockingService holds each call until its context ends.
type blockingService struct{ started chan struct{} }

func (s blockingService) Call(ctx context.Context, _ string, _ []byte) ([]byte, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// A call that another host is running when its service stops there (here
// an Unregister; a reset or the host closing alike) fails with ErrNotFound,
// as an in-process caller's does, not as the service's own failure: it
// came back as a ServiceError saying "context canceled".
func TestCallStoppedWithItsServiceIsNotFound(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	owner, caller := remotePair(t, rs.URL(), "stop")
	svc := blockingService{started: make(chan struct{}, 1)}
	if _, err := owner.RegisterService(ctx, "slow", svc); err != nil {
		t.Fatal(err)
	}
	h, err := caller.Get(ctx, "slow")
	if err != nil {
		t.Fatal(err)
	}
	called := make(chan error, 1)
	go func() {
		callCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := h.Call(callCtx, "wait", nil)
		called <- err
	}()
	<-svc.started
	if err := owner.Unregister(ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	err = <-called
	var se *ServiceError
	if !errors.Is(err, ErrNotFound) || errors.As(err, &se) {
		t.Fatalf("a call whose service stopped under it: %v, want ErrNotFound", err)
	}
}

// bigService answers with a payload of its size.
type bigService int

func (n bigService) Call(context.Context, string, []byte) ([]byte, error) {
	return make([]byte, int(n)), nil
}

// A reply the store refuses (larger than Redis's proto-max-bulk-len) reaches
// its caller as ErrLost at once, and the request leaves its queue: the
// caller used to wait out its whole deadline beside a request that stayed.
func TestReplyTheStoreRefusesIsLost(t *testing.T) {
	rs := testredis.Start(t, "--proto-max-bulk-len", "1mb")
	ctx := context.Background()
	owner, caller := remotePair(t, rs.URL(), "refused")
	if _, err := owner.RegisterService(ctx, "big", bigService(2<<20)); err != nil {
		t.Fatal(err)
	}
	h, err := caller.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	callCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := h.Call(callCtx, "get", nil); !errors.Is(err, ErrLost) {
		t.Fatalf("a call whose reply Redis refuses: %v, want ErrLost", err)
	}
	if n := rs.Client().XLen(ctx, "sandhost:{refused}:q:svc:big").Val(); n != 0 {
		t.Fatalf("%d requests left in the queue, want 0", n)
	}
}

// remotePair opens an owner and a client-only caller of namespace ns whose
// calls to the owner cross Redis, as from another host.
func remotePair(t *testing.T, dsn, ns string) (owner, caller *Registry) {
	t.Helper()
	owner, err := Open(context.Background(), dsn, WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	localHosts.Delete(owner.id) // else calls in this process skip Redis
	caller, err = Open(context.Background(), dsn, WithNamespace(ns), ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caller.Close() })
	return owner, caller
}
