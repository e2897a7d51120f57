package registry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// A host busy serving many services keeps beating: its heartbeat has its
// own connection. With 2,000 services on one host, every blocking read held
// a connection of the one pool, heartbeats missed their deadline and every
// service of the namespace vanished. Here the pool is made small instead
// (pool_size=40 for 150 services), so that -race on 2 cores can run it.
// (Services no longer hold a connection each, TestOneBlockedReadPerHost;
// the heartbeat must still not wait behind the command pool.)
func TestManyServicesStayAlive(t *testing.T) {
	rs := testredis.Start(t)
	const n, ttl = 150, 900 * time.Millisecond
	host, err := registry.Open(ctx, rs.URL()+"?pool_size=40", registry.WithNamespace("many"), registry.WithHeartbeatTTL(ttl))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	noop := registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })
	t0 := time.Now()
	for i := range n {
		if _, err := host.RegisterService(ctx, fmt.Sprintf("s%03d", i), noop); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d registrations in %v", n, time.Since(t0))
	observer, err := registry.Open(ctx, rs.URL(), registry.WithNamespace("many"), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer observer.Close()
	// Watch for three TTLs: a host that missed its beats would be reaped,
	// and its services gone, within one.
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); {
		names, err := observer.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != n {
			t.Fatalf("%d of %d services listed %v after registering: the host missed its heartbeats", len(names), n, time.Since(t0))
		}
		time.Sleep(50 * time.Millisecond) // the observation's pace, not synchronisation
	}
}
