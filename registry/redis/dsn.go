package redis

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

// Defaults of what a DSN can set.
const (
	// defaultPoolSize bounds the command pools.
	defaultPoolSize = 1000
	// readPoolSize: a backend blocks in its host's bell, its reply
	// stream and the waiting Receives of its host, whatever the number
	// of its services.
	readPoolSize = 2 + driver.MaxWaitingReceives
	// defaultReplyTTL: how long a reply stream outlives its last reply; it
	// only matters for a caller that died without closing.
	defaultReplyTTL = time.Minute
	// livePoolSize: the heartbeat and the reaper; they never run more
	// than a couple of commands at once.
	livePoolSize = 2
)

// options is a parsed DSN: go-redis's options plus this driver's own.
type options struct {
	uo       goredis.UniversalOptions
	replyTTL time.Duration
}

func (o options) client() *goredis.UniversalOptions {
	uo := o.uo
	return &uo
}

// blockingReads is for the bell, the reply stream and waiting Receives: a
// read that go-redis retried after a broken connection would lose the
// bells or leave pending the requests its first reply carried, while the
// error it returns instead makes the host read its queues again.
func (o options) blockingReads() *goredis.UniversalOptions {
	uo := o.uo
	uo.PoolSize = readPoolSize
	uo.MaxRetries = -1
	return &uo
}

func (o options) liveness() *goredis.UniversalOptions {
	uo := o.uo
	uo.PoolSize = livePoolSize
	return &uo
}

// atMostOnce is for requests: go-redis resends a command whose reply was
// lost to a broken connection, which for a request that Redis did receive
// would deliver the call twice.
func (o options) atMostOnce() *goredis.UniversalOptions {
	uo := o.uo
	uo.MaxRetries = -1
	return &uo
}

func embeddedOptions(addr string) options {
	return options{
		uo:       goredis.UniversalOptions{Addrs: []string{addr}, PoolSize: defaultPoolSize, Protocol: 2},
		replyTTL: defaultReplyTTL,
	}
}

func parseDSN(dsn string) (options, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return options{}, fmt.Errorf("redis: bad DSN: %w", err)
	}
	q := u.Query()
	extra := q["addr"]
	master := q.Get("master_name")
	replyTTL := defaultReplyTTL
	if s := q.Get("reply_ttl"); s != "" {
		if replyTTL, err = time.ParseDuration(s); err != nil || replyTTL <= 0 {
			return options{}, fmt.Errorf("redis: bad DSN %s: reply_ttl %q is not a positive duration", redactDSN(dsn), s)
		}
	}
	for _, own := range []string{"addr", "master_name", "reply_ttl"} {
		q.Del(own)
	}
	u.RawQuery = q.Encode()
	o, err := goredis.ParseURL(u.String())
	if err != nil {
		return options{}, fmt.Errorf("redis: bad DSN %s: %w", redactDSN(dsn), err)
	}
	// Every option goredis.ParseURL reads, so none is accepted and dropped;
	// it rejects the ones it does not know.
	uo := goredis.UniversalOptions{
		Addrs:                   append([]string{o.Addr}, extra...),
		MasterName:              master,
		DB:                      o.DB,
		Username:                o.Username,
		Password:                o.Password,
		Protocol:                o.Protocol,
		ClientName:              o.ClientName,
		MaxRetries:              o.MaxRetries,
		MinRetryBackoff:         o.MinRetryBackoff,
		MaxRetryBackoff:         o.MaxRetryBackoff,
		DialTimeout:             o.DialTimeout,
		ReadTimeout:             o.ReadTimeout,
		WriteTimeout:            o.WriteTimeout,
		PoolFIFO:                o.PoolFIFO,
		PoolSize:                o.PoolSize,
		PoolTimeout:             o.PoolTimeout,
		MinIdleConns:            o.MinIdleConns,
		MaxIdleConns:            o.MaxIdleConns,
		MaxActiveConns:          o.MaxActiveConns,
		MaxConcurrentDials:      o.MaxConcurrentDials,
		PipelinePoolSize:        o.PipelinePoolSize,
		PipelineReadBufferSize:  o.PipelineReadBufferSize,
		PipelineWriteBufferSize: o.PipelineWriteBufferSize,
		ConnMaxIdleTime:         o.ConnMaxIdleTime,
		ConnMaxLifetime:         o.ConnMaxLifetime,
		ConnMaxLifetimeJitter:   o.ConnMaxLifetimeJitter,
	}
	if !q.Has("protocol") {
		uo.Protocol = 2
	}
	if o.TLSConfig != nil {
		uo.TLSConfig = o.TLSConfig.Clone()
		if uo.TLSConfig.MinVersion == 0 {
			uo.TLSConfig.MinVersion = tls.VersionTLS12
		}
	}
	if !q.Has("pool_size") {
		uo.PoolSize = defaultPoolSize
	}
	return options{uo: uo, replyTTL: replyTTL}, nil
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
