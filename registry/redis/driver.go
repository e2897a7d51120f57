// Package redis is the registry backend over Redis ("redis://", "rediss://")
// and over an embedded in-process Redis ("embedded://", miniredis) that other
// hosts can join over loopback or the network.
//
// Each namespace lives in a handful of keys that share the hash tag {ns}
// (keys.go), so every operation is one atomic script on one slot
// (scripts.go). Calls travel through Redis Streams with consumer groups: one
// stream per service, read by its owner, and one reply stream per caller
// (send.go, receive.go).
package redis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

func init() {
	driver.Register("redis", Driver{})
	driver.Register("rediss", Driver{})
	driver.Register("embedded", Driver{})
}

// Driver opens Redis backends.
//
// DSNs:
//
//	redis://[user:pass@]host:port[/db]        one server (rediss:// for TLS)
//	redis://host:port?addr=host2:port&addr=…  a Redis Cluster (several seeds)
//	redis://host:port?master_name=NAME         Sentinel: addresses are sentinels
//	embedded://                                the process's embedded server
//	embedded://127.0.0.1:6390                  an embedded server on that address
//
// Besides go-redis's own options (pool_size, dial_timeout, …) a DSN takes
// reply_ttl: how long the reply stream of a caller that vanished without
// closing stays in Redis after its last reply (default 1m).
type Driver struct{}

// backend is one namespace of one Redis, seen from this process.
type backend struct {
	// Four clients, so that no kind of work waits behind another's pool:
	//   cmds   short commands: scripts, replies, lookups
	//   reads  blocking reads: the host's bell, the reply stream and
	//          the queues a host waits on, never retried (receive.go)
	//   live   the heartbeat and reaping, which liveness needs on time
	//   send   call requests and the reads that take them from their
	//          queues, never retried (at most once, see Send)
	cmds, reads, live, send goredis.UniversalClient

	emb      *embedded
	dsn      string
	keys     keys
	replyKey string
	replyTTL time.Duration

	// beatMu orders beats; beats counts the successful ones, and beaten
	// holds the names the last successful one sent: a name not among them
	// has its queue's expiry renewed on the next beat.
	beatMu sync.Mutex
	beats  uint64
	beaten map[string]struct{}
	// queueGone is set by a read that found its queue gone: the next beat
	// renews every queue, which recreates those the store lost.
	queueGone atomic.Bool
	reaps     atomic.Uint64 // periodic reaps so far (Reap)

	mu      sync.Mutex
	pending map[string]*pendingCall
	// repliesRead is the ID of the last reply the reader has routed: a
	// request gone from its queue is lost only if its reply, written
	// before the request was deleted, is not among those.
	repliesRead streamID
	readerOn    bool
	stop        chan struct{} // closed by Close
	readerWG    sync.WaitGroup
	inflight    sync.WaitGroup // commands under way; Close waits for them
	closed      bool
}

// Open implements driver.Driver.
func (Driver) Open(ctx context.Context, dsn, ns string) (driver.Backend, error) {
	var (
		o   options
		emb *embedded
		err error
	)
	if strings.HasPrefix(dsn, "embedded:") {
		if emb, err = acquireEmbedded(dsn); err != nil {
			return nil, err
		}
		o = embeddedOptions(emb.addr)
	} else if o, err = parseDSN(dsn); err != nil {
		return nil, err
	}
	b := &backend{
		cmds:     goredis.NewUniversalClient(o.client()),
		reads:    goredis.NewUniversalClient(o.blockingReads()),
		live:     goredis.NewUniversalClient(o.liveness()),
		send:     goredis.NewUniversalClient(o.atMostOnce()),
		emb:      emb,
		dsn:      dsn,
		keys:     keysOf(ns),
		replyTTL: o.replyTTL,
		pending:  map[string]*pendingCall{},
		stop:     make(chan struct{}),
	}
	b.replyKey = b.keys.reply(randomID())
	if err := b.cmds.Ping(ctx).Err(); err != nil {
		b.closeClients()
		if emb != nil {
			emb.release()
		}
		return nil, fmt.Errorf("redis: cannot reach %s: %w", redactDSN(dsn), err)
	}
	return b, nil
}

// begin marks a command under way, or says the backend is closed.
func (b *backend) begin() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return driver.ErrClosed
	}
	b.inflight.Add(1)
	return nil
}

func (b *backend) end() { b.inflight.Done() }

func (b *backend) Addr() string {
	if b.emb != nil {
		return "redis://" + b.emb.addr
	}
	return redactDSN(b.dsn)
}

// closeWait bounds how long Close waits for commands under way. A blocking
// read ends within its 1 s block; Leave deleting the host's bell ends its
// read at once.
const closeWait = 1500 * time.Millisecond

// Close fails waiting calls with ErrClosed, removes this caller's reply
// stream, waits (bounded) for commands under way and then closes the
// connections: closing a pool under a command still running made go-redis
// log "Unexpected conn state changed by hook to CLOSED".
func (b *backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	readerOn := b.readerOn
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	if readerOn {
		// Wake the reply reader from its blocking read, then drop the
		// stream: a plain XREAD is not woken by the key's deletion.
		b.cmds.XAdd(ctx, &goredis.XAddArgs{Stream: b.replyKey, Values: []any{"i", ""}})
		waitCtx(ctx, &b.readerWG)
		b.cmds.Del(ctx, b.replyKey)
	}
	waitCtx(ctx, &b.inflight)
	b.closeClients()
	if b.emb != nil {
		b.emb.release()
	}
	return nil
}

func (b *backend) closeClients() {
	for _, c := range []goredis.UniversalClient{b.cmds, b.reads, b.live, b.send} {
		c.Close()
	}
}

// waitCtx waits for wg until ctx is done.
func waitCtx(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
