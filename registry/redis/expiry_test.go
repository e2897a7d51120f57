package redis

import (
	"context"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver"
)

// A namespace whose hosts all died holds no key even when no client or host
// ever looks at it again: everything a heartbeat keeps alive expires a few
// TTLs after the last beat.
func TestDeadNamespaceExpiresUnwatched(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, rs.URL(), "unwatched")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	const ttl = 100 * time.Millisecond
	spec := driver.Spec{Name: "s", Owner: "h", Generation: "1"}
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, ttl, nil); err != nil {
		t.Fatal(err)
	}
	claimed, err := be.Claim(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	// A call nobody reads: its entry stays queued until the queue expires.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	be.Send(short, driver.Request{ID: "r1", Queue: driver.ServiceQueue("s"), Payload: []byte("queued, never read")})
	cancel()
	// The last beat: the host dies right after it, and nobody looks again.
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, ttl, []driver.Spec{claimed}); err != nil {
		t.Fatal(err)
	}
	keys := rs.Keys("unwatched")
	if len(keys) < 5 {
		t.Fatalf("keys after the last beat: %v, want the namespace's", keys)
	}
	for _, k := range keys {
		if ms := rs.Client().PTTL(ctx, k).Val(); ms <= 0 {
			t.Errorf("key %s has no expiry (PTTL %v)", k, ms)
		}
	}
	deadline := time.Now().Add(namespaceTTLs*ttl + 5*time.Second)
	for len(rs.Keys("unwatched")) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling Redis, not synchronising
	}
	if left := rs.Keys("unwatched"); len(left) > 0 {
		t.Fatalf("keys left %v after the last beat: %v", namespaceTTLs*ttl+5*time.Second, left)
	}
}

// The last host of a namespace without services dies: the next List (or
// Names), by any client, removes its keys (it used to look only at
// services' owners).
func TestListReapsDeadHostsOfEmptyNamespace(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	lists := map[string]func(driver.Backend) error{
		"List":  func(be driver.Backend) error { _, err := be.List(ctx); return err },
		"Names": func(be driver.Backend) error { _, err := be.Names(ctx); return err },
	}
	for name, list := range lists {
		t.Run(name, func(t *testing.T) {
			ns := "nosvc-" + name
			be, err := Driver{}.Open(ctx, rs.URL(), ns)
			if err != nil {
				t.Fatal(err)
			}
			defer be.Close()
			if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, 100*time.Millisecond, nil); err != nil {
				t.Fatal(err)
			}
			hostKey := keysOf(ns).host("h")
			for rs.Client().Exists(ctx, hostKey).Val() == 1 {
				time.Sleep(20 * time.Millisecond) // polling Redis for the heartbeat's expiry
			}
			if err := list(be); err != nil {
				t.Fatal(err)
			}
			if left := rs.Keys(ns); len(left) > 0 {
				t.Fatalf("keys left after %s noticed the dead host: %v", name, left)
			}
		})
	}
}
