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
		replyTTL time.Duration
	}{
		{"redis://127.0.0.1:6379/2", "[127.0.0.1:6379]", "", 2, defaultPoolSize, defaultReplyTTL},
		{"redis://s1:26379?master_name=mymaster&addr=s2:26379", "[s1:26379 s2:26379]", "mymaster", 0, defaultPoolSize, defaultReplyTTL},
		{"redis://a:7000?addr=b:7000&addr=c:7000", "[a:7000 b:7000 c:7000]", "", 0, defaultPoolSize, defaultReplyTTL},
		{"redis://h:1?pool_size=5&reply_ttl=2s", "[h:1]", "", 0, 5, 2 * time.Second},
	} {
		o, err := parseDSN(c.dsn)
		if err != nil {
			t.Errorf("%s: %v", c.dsn, err)
			continue
		}
		got := []any{fmt.Sprint(o.uo.Addrs), o.uo.MasterName, o.uo.DB, o.client().PoolSize, o.replyTTL}
		want := []any{c.addrs, c.master, c.db, c.pool, c.replyTTL}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: addrs, master, db, pool, reply TTL = %v, want %v", c.dsn, got, want)
		}
		if o.atMostOnce().MaxRetries != -1 || o.blockingReads().MaxRetries != -1 {
			t.Errorf("%s: the request or the blocking-read client retries", c.dsn)
		}
		if o.blockingReads().PoolSize != readPoolSize {
			t.Errorf("%s: read pool %d, want %d whatever pool_size says", c.dsn, o.blockingReads().PoolSize, readPoolSize)
		}
		if o.liveness().PoolSize != livePoolSize {
			t.Errorf("%s: liveness pool %d", c.dsn, o.liveness().PoolSize)
		}
	}
	// go-redis's own options reach the clients too (they were parsed and
	// dropped).
	o, err := parseDSN("redis://h:1?max_retries=7&pool_timeout=3s&min_idle_conns=2&max_idle_conns=4&conn_max_idle_time=1m&conn_max_lifetime=1h&client_name=svc&protocol=3&dial_timeout=2s&read_timeout=4s&write_timeout=5s&pool_fifo=true&max_active_conns=9&min_retry_backoff=10ms&max_retry_backoff=20ms")
	if err != nil {
		t.Fatal(err)
	}
	u := o.client()
	got := fmt.Sprintln(u.MaxRetries, u.PoolTimeout, u.MinIdleConns, u.MaxIdleConns, u.ConnMaxIdleTime, u.ConnMaxLifetime, u.ClientName, u.Protocol, u.DialTimeout, u.ReadTimeout, u.WriteTimeout, u.PoolFIFO, u.MaxActiveConns, u.MinRetryBackoff, u.MaxRetryBackoff)
	if want := "7 3s 2 4 1m0s 1h0m0s svc 3 2s 4s 5s true 9 10ms 20ms\n"; got != want {
		t.Errorf("go-redis options: got %s, want %s", got, want)
	}
	if p, _ := parseDSN("redis://h:1"); p.client().Protocol != 2 {
		t.Errorf("default protocol %d, want 2", p.client().Protocol)
	}
	for _, bad := range []string{"redis://h:1?reply_ttl=-1s", "redis://h:1?reply_ttl=soon", "redis://h:1?bogus=1"} {
		if _, err := parseDSN(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
