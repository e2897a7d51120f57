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
	owner, err := Open(ctx, rs.URL(), WithNamespace("stop"))
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	localHosts.Delete(owner.id) // the call crosses Redis, as from another host
	caller, err := Open(ctx, rs.URL(), WithNamespace("stop"), ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
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
