package redis

import (
	"fmt"
	"testing"
	"time"
)

// The options a DSN sets reach go-redis: a form that is accepted but
// dropped (Sentinel's master_name was) fails here.
func TestDSNOptions(t *testing.T) {
	for _, c := range []struct {
		dsn      string
		addrs    string
		master   string
		db       int
		pool     int
		readPool int
		replyTTL time.Duration
	}{
		{"redis://127.0.0.1:6379/2", "[127.0.0.1:6379]", "", 2, defaultPoolSize, defaultReadPoolSize, defaultReplyTTL},
		{"redis://s1:26379?master_name=mymaster&addr=s2:26379", "[s1:26379 s2:26379]", "mymaster", 0, defaultPoolSize, defaultReadPoolSize, defaultReplyTTL},
		{"redis://a:7000?addr=b:7000&addr=c:7000", "[a:7000 b:7000 c:7000]", "", 0, defaultPoolSize, defaultReadPoolSize, defaultReplyTTL},
		{"redis://h:1?pool_size=5&reply_ttl=2s", "[h:1]", "", 0, 5, 5, 2 * time.Second},
	} {
		o, err := parseDSN(c.dsn)
		if err != nil {
			t.Errorf("%s: %v", c.dsn, err)
			continue
		}
		got := []any{fmt.Sprint(o.uo.Addrs), o.uo.MasterName, o.uo.DB, o.client().PoolSize, o.blockingReads().PoolSize, o.replyTTL}
		want := []any{c.addrs, c.master, c.db, c.pool, c.readPool, c.replyTTL}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: addrs, master, db, pools, reply TTL = %v, want %v", c.dsn, got, want)
		}
		if o.atMostOnce().MaxRetries != -1 {
			t.Errorf("%s: the request client retries", c.dsn)
		}
		if o.liveness().PoolSize != livePoolSize {
			t.Errorf("%s: liveness pool %d", c.dsn, o.liveness().PoolSize)
		}
	}
	for _, bad := range []string{"redis://h:1?reply_ttl=-1s", "redis://h:1?reply_ttl=soon", "redis://h:1?bogus=1"} {
		if _, err := parseDSN(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
