package registry_test

import (
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/internal/testredis"
)

// After the first Get of a name, Get asks Redis nothing; a change made by
// another registry reaches the cache through pub/sub.
func TestGetCacheNoRoundTripAndCoherent(t *testing.T) {
	rs := testredis.Start(t)
	e := &env{t: t, dsn: rs.URL(), ns: "cache"}
	owner := e.open()
	mustRegister(t, owner, "v", "value")
	// Opened after the registration, so no change event is still in flight
	// to it (one would rightly drop the entry once more).
	reader := e.open()
	if _, err := reader.Get(ctx, "v"); err != nil {
		t.Fatal(err)
	}
	rc := goredis.NewClient(&goredis.Options{Addr: strings.TrimPrefix(rs.URL(), "redis://")})
	defer rc.Close()
	if err := rc.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := reader.Get(ctx, "v"); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := rc.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"cmdstat_evalsha", "cmdstat_eval", "cmdstat_hget"} {
		if strings.Contains(stats, cmd+":") {
			t.Fatalf("cached Get sent %s to Redis:\n%s", cmd, stats)
		}
	}

	// Another registry resets the namespace: the cached entry goes.
	if err := owner.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := reader.Contains(ctx, "v")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cache still holds a reset service after 5s")
		}
		time.Sleep(5 * time.Millisecond) // waiting for another connection's pub/sub message
	}
	if _, err := reader.Get(ctx, "v"); !strings.Contains(err.Error(), "not found") {
		t.Fatalf("Get after reset: %v", err)
	}
}

// A change made elsewhere reaches a cached Get: once the owner closes, the
// service is gone for a registry that had it cached too.
func TestCachedGetSeesOwnerClose(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		owner, reader := e.open(), e.open()
		mustRegister(t, owner, "v", "value")
		if _, err := reader.Get(ctx, "v"); err != nil {
			t.Fatal(err)
		}
		owner.Close()
		waitUntil(t, "a closed owner's service gone from another registry's cache", func() bool {
			ok, err := reader.Contains(ctx, "v")
			return err == nil && !ok
		})
	})
}
