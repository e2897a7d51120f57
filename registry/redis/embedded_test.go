package redis

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// openEmbedded starts an embedded server of its own for one test.
func openEmbedded(t *testing.T) *goredis.Client {
	t.Helper()
	e, err := acquireEmbedded("embedded://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.release)
	c := goredis.NewClient(&goredis.Options{Addr: e.addr, Protocol: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// Keys of the embedded server expire in real time: heartbeats rely on it.
func TestEmbeddedKeysExpire(t *testing.T) {
	c := openEmbedded(t)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 200*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a key set to expire in 200 ms still exists after 10 s")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, not timing
	}
}

// A command on the embedded server costs the same with 5,000 keys as with
// none. With miniredis's clock followed at every command, each command
// sorted and walked every key (a queue per service, TTL or not), so
// registering the 1,200th service took 10 ms and heartbeats timed out. The
// bound on the ratio of medians is loose for a loaded machine under -race;
// the walk made it about 40.
func TestEmbeddedCommandCostIndependentOfKeys(t *testing.T) {
	c := openEmbedded(t)
	ctx := context.Background()
	median := func() time.Duration {
		var lat []time.Duration
		for i := range 101 {
			t0 := time.Now()
			if err := c.HSetNX(ctx, "h", fmt.Sprint(i), "x").Err(); err != nil {
				t.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		c.Del(ctx, "h")
		slices.Sort(lat)
		return lat[len(lat)/2]
	}
	few := median()
	const keys = 5000
	for i := 0; i < keys; i += 500 {
		var kv []any
		for j := i; j < i+500; j++ {
			kv = append(kv, fmt.Sprint("key:", j), "v")
		}
		if err := c.MSet(ctx, kv...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	many := median()
	t.Logf("HSETNX median: %v with no key, %v with %d", few, many, keys)
	if many > 5*few {
		t.Fatalf("HSETNX median %v with %d keys, %v with none: a command's cost grows with the keys", many, keys, few)
	}
}
