package redis

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver"
)

func TestNewClientForms(t *testing.T) {
	for dsn, want := range map[string]string{
		"redis://127.0.0.1:6379/2":                           "*redis.Client",
		"rediss://user:pw@example.com:6380":                  "*redis.Client",
		"redis://a:7000?addr=b:7000&addr=c:7000":             "*redis.ClusterClient",
		"redis://sentinel1:26379?master_name=mymaster":       "*redis.Client", // a failover client
		"redis://127.0.0.1:6379?pool_size=5&dial_timeout=1s": "*redis.Client",
	} {
		c, err := newClient(dsn)
		if err != nil {
			t.Errorf("newClient(%q): %v", dsn, err)
			continue
		}
		got := typeName(c)
		if got != want {
			t.Errorf("newClient(%q) is %s, want %s", dsn, got, want)
		}
		c.Close()
	}
	if _, err := newClient("redis://h:1?bogus=1"); err == nil {
		t.Error("unknown DSN option accepted")
	}
	c, _ := newClient("rediss://u:secret@example.com:6380")
	o := c.(*goredis.Client).Options()
	if o.TLSConfig == nil || o.Password != "secret" || o.Username != "u" {
		t.Errorf("rediss DSN lost TLS or credentials: %+v", o)
	}
	c.Close()
}

func typeName(c goredis.UniversalClient) string {
	switch c.(type) {
	case *goredis.ClusterClient:
		return "*redis.ClusterClient"
	case *goredis.Client:
		return "*redis.Client"
	}
	return "other"
}

func TestPasswordProtectedRedis(t *testing.T) {
	rs := testredis.Start(t, "--requirepass", "s3cret")
	ctx := context.Background()
	_, err := Driver{}.Open(ctx, rs.URL(), "ns")
	if err == nil || !strings.Contains(err.Error(), "NOAUTH") && !strings.Contains(err.Error(), "auth") {
		t.Fatalf("open without password: %v, want an auth error", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatal("error leaks the password")
	}
	url := strings.Replace(rs.URL(), "redis://", "redis://:s3cret@", 1)
	b, err := Driver{}.Open(ctx, url, "ns")
	if err != nil {
		t.Fatalf("open with password: %v", err)
	}
	defer b.Close()
	if _, err := b.Claim(ctx, driver.Spec{Name: "x", Owner: "h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Claim(ctx, driver.Spec{Name: "x", Owner: "h", MaxConcurrency: 2}); !errors.Is(err, driver.ErrExists) {
		t.Fatalf("second claim: %v", err)
	}
	if strings.Contains(b.Addr(), "s3cret") {
		t.Fatalf("Addr leaks the password: %s", b.Addr())
	}
}

// An embedded open that fails after starting its server releases it: it
// used to run for the rest of the process.
func TestFailedEmbeddedOpenReleasesServer(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if be, err := (Driver{}).Open(cancelled, "embedded://127.0.0.1:0", "ns"); err == nil {
		be.Close()
		t.Fatal("Open with a cancelled context succeeded")
	}
	embeddedMu.Lock()
	_, running := embeddeds["127.0.0.1:0"]
	embeddedMu.Unlock()
	if running {
		t.Fatal("the embedded server of a failed open is still running")
	}
}

// A claim sent again by its owner (go-redis retries a command whose reply
// was lost) succeeds with the generation it got; it used to fail with
// ErrExists, leaving a spec that nothing served or removed.
func TestClaimRetryIsIdempotent(t *testing.T) {
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, "embedded://", "claim-retry")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	spec := driver.Spec{Name: "s", Owner: "h", MaxConcurrency: 1}
	first, err := be.Claim(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := be.Claim(ctx, spec)
	if err != nil || again.Generation != first.Generation {
		t.Fatalf("the same claim again: %+v, %v; want generation %q", again, err, first.Generation)
	}
	other := spec
	other.MaxConcurrency = 2
	if _, err := be.Claim(ctx, other); !errors.Is(err, driver.ErrExists) {
		t.Fatalf("another claim of a held name by its owner: %v, want ErrExists", err)
	}
}

// Reap drops a service whose owner is dead even when that owner is no
// longer among the hosts (it used to drop services only of hosts that died
// during the same pass, so such a spec kept the namespace alive for good),
// within queueRefreshBeats periodic reaps.
func TestReapDropsServicesOfMissingOwners(t *testing.T) {
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, "embedded://", "reap-missing-owner")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := be.Reap(ctx); err != nil { // the first reap scans: the next ones skip it
		t.Fatal(err)
	}
	// An owner that never beat, as one reaped long ago.
	if _, err := be.Claim(ctx, driver.Spec{Name: "orphan", Owner: "gone", MaxConcurrency: 1}); err != nil {
		t.Fatal(err)
	}
	for range queueRefreshBeats {
		if err := be.Reap(ctx); err != nil {
			t.Fatal(err)
		}
	}
	b := be.(*backend)
	if held, err := b.cmds.HExists(ctx, b.keys.prefix+keyOwners, "orphan").Result(); err != nil || held {
		t.Fatalf("after %d reaps, the orphan's owner entry is still there (%v)", queueRefreshBeats, err)
	}
}

// newClient makes a go-redis UniversalClient from a redis:// or rediss://
// DSN; see Driver for the forms accepted.
func newClient(dsn string) (goredis.UniversalClient, error) {
	o, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return goredis.NewUniversalClient(o.client()), nil
}

// After Redis restarts empty, a name claimed before any host has beaten
// again must not stop the services the hosts put back: only a reset stops
// them. The claim used to write a new generation, and the next beat then
// stopped every other service as if the namespace had been reset.
func TestClaimAfterEmptyRestartKeepsOtherServices(t *testing.T) {
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, "embedded://", "restart-claim")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	a, b := driver.HostInfo{ID: "a"}, driver.HostInfo{ID: "b"}
	for _, h := range []driver.HostInfo{a, b} {
		if _, err := be.Beat(ctx, h, time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	keep, err := be.Claim(ctx, driver.Spec{Name: "keep", Owner: a.ID, MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := be.(*backend).cmds.FlushAll(ctx).Err(); err != nil { // an empty restart
		t.Fatal(err)
	}
	fresh, err := be.Claim(ctx, driver.Spec{Name: "fresh", Owner: b.ID, MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if stop, err := be.Beat(ctx, a, time.Minute, []driver.Spec{keep}); err != nil || len(stop) > 0 {
		t.Fatalf("host a's beat after the restart: stop %v, %v; want nothing stopped", stop, err)
	}
	if stop, err := be.Beat(ctx, b, time.Minute, []driver.Spec{fresh}); err != nil || len(stop) > 0 {
		t.Fatalf("host b's beat after the restart: stop %v, %v; want nothing stopped", stop, err)
	}
	if names, err := be.Names(ctx); err != nil || !slices.Equal(names, []string{"fresh", "keep"}) {
		t.Fatalf("names after the restart: %v, %v; want [fresh keep]", names, err)
	}
	// A reset still stops both, whoever beats first.
	if _, err := be.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if stop, err := be.Beat(ctx, a, time.Minute, []driver.Spec{keep}); err != nil || !slices.Equal(stop, []string{"keep"}) {
		t.Fatalf("host a's beat after a reset: stop %v, %v; want [keep]", stop, err)
	}
	if stop, err := be.Beat(ctx, b, time.Minute, []driver.Spec{fresh}); err != nil || !slices.Equal(stop, []string{"fresh"}) {
		t.Fatalf("host b's beat after a reset: stop %v, %v; want [fresh]", stop, err)
	}
}

// Data written where no host beats (a module stored for a registration that
// then found no host, in a mistyped namespace) expires; it used to stay for
// good, as only beats gave the data keys an expiry. With a host beating,
// the beats keep it.
func TestDataWithoutHostsExpires(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, rs.URL(), "typo")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	ds := be.(driver.DataStore)
	if err := ds.PutBlob(ctx, "sum", []byte("module")); err != nil {
		t.Fatal(err)
	}
	if err := ds.KVSet(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	k := keysOf("typo")
	for _, key := range []string{k.blobs(), k.kv()} {
		if ttl := rs.Client().PTTL(ctx, key).Val(); ttl <= 0 || ttl > orphanDataTTL {
			t.Errorf("%s: expiry %v, want at most %v", key, ttl, orphanDataTTL)
		}
	}
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := ds.KVSet(ctx, "k", []byte("w")); err != nil {
		t.Fatal(err)
	}
	if ttl := rs.Client().PTTL(ctx, k.kv()).Val(); ttl <= orphanDataTTL {
		t.Errorf("kv of a namespace with a host beating every minute: expiry %v, want the beat's", ttl)
	}
}
