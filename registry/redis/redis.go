// Package redis is the registry backend over Redis ("redis://", "rediss://")
// and over an embedded in-process Redis ("embedded://", miniredis) that other
// hosts can join over loopback or the network.
//
// Each namespace lives in a handful of keys that share the hash tag {ns}
// (see scripts.go), so every operation is one atomic script on one slot.
// Calls travel through Redis Streams with consumer groups: one stream per
// service, read by its owner, and one reply stream per caller.
package redis

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
type Driver struct{}

// Open implements driver.Driver.
func (Driver) Open(ctx context.Context, dsn, ns string) (driver.Backend, error) {
	var (
		// sender carries call requests and never retries: go-redis resends
		// a command whose reply was lost to a broken connection, which for
		// a request that Redis did receive would deliver the call twice.
		client, sender goredis.UniversalClient
		emb            *embedded
		err            error
	)
	if strings.HasPrefix(dsn, "embedded:") {
		emb, err = acquireEmbedded(dsn)
		if err != nil {
			return nil, err
		}
		client = goredis.NewClient(&goredis.Options{Addr: emb.addr, PoolSize: 1000, Protocol: 2})
		sender = goredis.NewClient(&goredis.Options{Addr: emb.addr, PoolSize: 1000, Protocol: 2, MaxRetries: -1})
	} else {
		uo, err := universalOptions(dsn)
		if err != nil {
			return nil, err
		}
		client = goredis.NewUniversalClient(uo)
		so := *uo
		so.MaxRetries = -1
		sender = goredis.NewUniversalClient(&so)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		sender.Close()
		if emb != nil {
			emb.release()
		}
		return nil, fmt.Errorf("redis: cannot reach %s: %w", redactDSN(dsn), err)
	}
	b := &backend{
		c:       client,
		send:    sender,
		emb:     emb,
		dsn:     dsn,
		prefix:  "sandhost:{" + ns + "}:",
		id:      randomID(),
		pending: map[string]*pendingCall{},
	}
	b.replyKey = b.prefix + "reply:" + b.id
	return b, nil
}

// NewClient makes a go-redis UniversalClient from a redis:// or rediss://
// DSN; see Driver for the forms accepted.
func NewClient(dsn string) (goredis.UniversalClient, error) {
	uo, err := universalOptions(dsn)
	if err != nil {
		return nil, err
	}
	return goredis.NewUniversalClient(uo), nil
}

func universalOptions(dsn string) (*goredis.UniversalOptions, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("redis: bad DSN: %w", err)
	}
	q := u.Query()
	extra := q["addr"]
	master := q.Get("master_name")
	q.Del("addr")
	q.Del("master_name")
	u.RawQuery = q.Encode()
	o, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("redis: bad DSN %s: %w", redactDSN(dsn), err)
	}
	uo := &goredis.UniversalOptions{
		Addrs:        append([]string{o.Addr}, extra...),
		MasterName:   master,
		DB:           o.DB,
		Username:     o.Username,
		Password:     o.Password,
		Protocol:     2,
		PoolSize:     o.PoolSize,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
	}
	if o.TLSConfig != nil {
		uo.TLSConfig = o.TLSConfig.Clone()
		if uo.TLSConfig.MinVersion == 0 {
			uo.TLSConfig.MinVersion = tls.VersionTLS12
		}
	}
	if !q.Has("pool_size") {
		// Every served service holds a connection in a blocking read.
		uo.PoolSize = 1000
	}
	return uo, nil
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

type backend struct {
	c        goredis.UniversalClient
	send     goredis.UniversalClient // requests only; no retries (see Open)
	emb      *embedded
	dsn      string
	prefix   string
	id       string
	replyKey string

	mu       sync.Mutex
	pending  map[string]*pendingCall
	readerOn bool
	stop     chan struct{}
	closed   bool
}

func (b *backend) k(s string) string { return b.prefix + s }

func (b *backend) Claim(ctx context.Context, spec driver.Spec) (driver.Spec, error) {
	js, err := json.Marshal(spec)
	if err != nil {
		return spec, err
	}
	gen, err := claimScript.Run(ctx, b.c,
		[]string{b.k("specs"), b.k("owners"), b.k("gens"), b.k("gen"), b.k("q:svc:" + spec.Name)},
		b.prefix, spec.Name, js, spec.Owner, randomID()).Text()
	if errors.Is(err, goredis.Nil) {
		return spec, fmt.Errorf("%w: %q", driver.ErrExists, spec.Name)
	}
	if err != nil {
		return spec, fmt.Errorf("redis: claim %q: %w", spec.Name, err)
	}
	spec.Generation = gen
	return spec, nil
}

func (b *backend) Release(ctx context.Context, name, owner string) error {
	err := releaseScript.Run(ctx, b.c, []string{b.k("specs"), b.k("owners"), b.k("gens")}, b.prefix, name, owner).Err()
	if err != nil {
		return fmt.Errorf("redis: release %q: %w", name, err)
	}
	return nil
}

func (b *backend) Lookup(ctx context.Context, name string) (driver.Spec, error) {
	s, err := lookupScript.Run(ctx, b.c, []string{b.k("specs"), b.k("owners")}, b.prefix, name).Text()
	if errors.Is(err, goredis.Nil) {
		return driver.Spec{}, driver.ErrNotFound
	}
	if err != nil {
		return driver.Spec{}, fmt.Errorf("redis: lookup %q: %w", name, err)
	}
	var sp driver.Spec
	if err := json.Unmarshal([]byte(s), &sp); err != nil {
		return driver.Spec{}, fmt.Errorf("redis: corrupt spec of %q: %w", name, err)
	}
	return sp, nil
}

func (b *backend) List(ctx context.Context) ([]driver.Spec, error) {
	vals, err := listScript.Run(ctx, b.c, []string{b.k("specs"), b.k("owners")}, b.prefix).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: list: %w", err)
	}
	out := make([]driver.Spec, 0, len(vals))
	for _, v := range vals {
		var sp driver.Spec
		if err := json.Unmarshal([]byte(v), &sp); err != nil {
			return nil, fmt.Errorf("redis: corrupt spec: %w", err)
		}
		out = append(out, sp)
	}
	return out, nil
}

func (b *backend) Reset(ctx context.Context) (string, error) {
	gen := randomID()
	err := resetScript.Run(ctx, b.c, []string{b.k("specs"), b.k("owners"), b.k("gens"), b.k("gen")}, b.prefix, gen).Err()
	if err != nil {
		return "", fmt.Errorf("redis: reset: %w", err)
	}
	return gen, nil
}

func (b *backend) Beat(ctx context.Context, h driver.HostInfo, ttl time.Duration, owned []driver.Spec) ([]string, error) {
	info, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	args := []any{b.prefix, h.ID, info, ttl.Milliseconds()}
	for _, sp := range owned {
		js, err := json.Marshal(sp)
		if err != nil {
			return nil, err
		}
		args = append(args, sp.Name, sp.Generation, js)
	}
	stop, err := beatScript.Run(ctx, b.c,
		[]string{b.k("host:" + h.ID), b.k("hosts"), b.k("specs"), b.k("owners"), b.k("gens"), b.k("gen"), b.k("q:host:" + h.ID)},
		args...).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: heartbeat: %w", err)
	}
	return stop, nil
}

func (b *backend) Hosts(ctx context.Context) ([]driver.HostInfo, error) {
	vals, err := hostsScript.Run(ctx, b.c, []string{b.k("hosts")}, b.prefix).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: hosts: %w", err)
	}
	out := make([]driver.HostInfo, 0, len(vals))
	for _, v := range vals {
		var h driver.HostInfo
		if json.Unmarshal([]byte(v), &h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

func (b *backend) HostAlive(ctx context.Context, id string) (bool, error) {
	n, err := b.c.Exists(ctx, b.k("host:"+id)).Result()
	if err != nil {
		return false, fmt.Errorf("redis: host alive: %w", err)
	}
	return n == 1, nil
}

func (b *backend) Leave(ctx context.Context, id string) error {
	return b.reap(ctx, id)
}

func (b *backend) Reap(ctx context.Context) error { return b.reap(ctx) }

func (b *backend) reap(ctx context.Context, leave ...string) error {
	args := []any{b.prefix}
	for _, id := range leave {
		args = append(args, id)
	}
	err := reapScript.Run(ctx, b.c, []string{b.k("hosts"), b.k("specs"), b.k("owners"), b.k("gens")}, args...).Err()
	if err != nil {
		return fmt.Errorf("redis: reap: %w", err)
	}
	return nil
}

// Send appends the request to its queue's stream (NOMKSTREAM: a queue that
// was removed is not silently recreated) and waits for the reply that the
// reply reader routes to it.
// pendingCall is a call waiting for its reply.
type pendingCall struct {
	ch     chan driver.Response
	key    string // the request's stream, and its entry ID once added
	id     string
	sent   time.Time
	goneAt time.Time // when the request was first seen missing
}

// codeLost is the private response code the sweeper delivers for a call
// whose request the store lost.
const codeLost = "lost"

// Send appends the request to its queue's stream (NOMKSTREAM: a queue that
// was removed is not silently recreated) and waits for the reply that the
// reply reader routes to it.
func (b *backend) Send(ctx context.Context, req driver.Request) (driver.Response, error) {
	pc := &pendingCall{ch: make(chan driver.Response, 1), key: b.k("q:" + req.Queue), sent: time.Now()}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return driver.Response{}, driver.ErrClosed
	}
	b.pending[req.ID] = pc
	if !b.readerOn {
		b.readerOn = true
		b.stop = make(chan struct{})
		go b.readReplies(b.stop)
		go b.sweepLost(b.stop)
	}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, req.ID)
		b.mu.Unlock()
	}()
	var dl int64
	if !req.Deadline.IsZero() {
		dl = req.Deadline.UnixNano()
	}
	id, err := b.send.XAdd(ctx, &goredis.XAddArgs{
		Stream:     pc.key,
		NoMkStream: true,
		Values:     []any{"i", req.ID, "m", req.Method, "p", req.Payload, "d", dl, "r", b.replyKey},
	}).Result()
	if errors.Is(err, goredis.Nil) {
		return driver.Response{}, fmt.Errorf("%w: no queue %s", driver.ErrNotFound, req.Queue)
	}
	if err != nil {
		if ctx.Err() != nil {
			return driver.Response{}, context.Cause(ctx)
		}
		// Redis may or may not have taken the request before the error.
		return driver.Response{}, fmt.Errorf("%w: sending to %s: %v", driver.ErrLost, req.Queue, err)
	}
	b.mu.Lock()
	pc.id = id
	b.mu.Unlock()
	select {
	case resp := <-pc.ch:
		if resp.Code == codeLost {
			return driver.Response{}, fmt.Errorf("%w: the request to %s vanished from the store unanswered (restarted without persistence, or reset)", driver.ErrLost, req.Queue)
		}
		return resp, nil
	case <-ctx.Done():
		return driver.Response{}, context.Cause(ctx)
	}
}

// lostCheckInterval is how often calls waiting longer than that are checked
// for requests that vanished.
const lostCheckInterval = 500 * time.Millisecond

// sweepLost fails the calls whose request vanished unanswered. A request
// stays in its stream until the owner has written the reply, so one that is
// gone for over a second (time for the reply reader to deliver a reply
// written just before the deletion) was lost with the store's data.
// One sweeper per backend, rather than a timer per call, keeps the call
// path free of timers.
func (b *backend) sweepLost(stop chan struct{}) {
	t := time.NewTicker(lostCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := time.Now()
		b.mu.Lock()
		var calls []*pendingCall
		for _, pc := range b.pending {
			if pc.id != "" && now.Sub(pc.sent) >= lostCheckInterval {
				calls = append(calls, pc)
			}
		}
		b.mu.Unlock()
		if len(calls) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), lostCheckInterval)
		cmds := make([]*goredis.XMessageSliceCmd, len(calls))
		_, err := b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, pc := range calls {
				cmds[i] = p.XRange(ctx, pc.key, pc.id, pc.id)
			}
			return nil
		})
		cancel()
		if err != nil && !errors.Is(err, goredis.Nil) {
			continue // the store is unreachable: nothing can be told yet
		}
		for i, pc := range calls {
			msgs, err := cmds[i].Result()
			if err != nil || len(msgs) > 0 {
				continue
			}
			switch {
			case pc.goneAt.IsZero():
				pc.goneAt = now
			case now.Sub(pc.goneAt) >= time.Second:
				select {
				case pc.ch <- driver.Response{Code: codeLost}:
				default:
				}
			}
		}
	}
}

// readReplies is the one reader of this backend's reply stream; it routes
// each reply to the Send waiting for it. Replies for callers that gave up
// are dropped.
func (b *backend) readReplies(stop chan struct{}) {
	last := "0-0"
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-stop; cancel() }()
	for ctx.Err() == nil {
		res, err := b.c.XRead(ctx, &goredis.XReadArgs{Streams: []string{b.replyKey, last}, Count: 256, Block: time.Second}).Result()
		if err != nil {
			if !errors.Is(err, goredis.Nil) && ctx.Err() == nil {
				// Connection trouble: back off briefly; Send callers keep
				// their own deadlines.
				select {
				case <-time.After(50 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			continue
		}
		for _, st := range res {
			for _, m := range st.Messages {
				last = m.ID
				resp := driver.Response{
					ID:      str(m.Values["i"]),
					Payload: []byte(str(m.Values["p"])),
					Code:    str(m.Values["c"]),
					Message: str(m.Values["e"]),
				}
				b.mu.Lock()
				pc := b.pending[resp.ID]
				delete(b.pending, resp.ID)
				b.mu.Unlock()
				if pc != nil {
					select {
					case pc.ch <- resp:
					default: // the sweeper answered it already
					}
				}
			}
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func isNoQueue(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.HasPrefix(s, "NOGROUP") || strings.Contains(s, "no longer exists")
}

func (b *backend) Receive(ctx context.Context, queue, consumer string, max int) ([]driver.Request, error) {
	key := b.k("q:" + queue)
	res, err := b.c.XReadGroup(ctx, &goredis.XReadGroupArgs{
		Group: "g", Consumer: consumer, Streams: []string{key, ">"}, Count: int64(max), Block: time.Second,
	}).Result()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if isNoQueue(err) {
		return nil, fmt.Errorf("%w: queue %s: %v", driver.ErrNotFound, queue, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("redis: receive: %w", err)
	}
	var out []driver.Request
	for _, st := range res {
		for _, m := range st.Messages {
			r := driver.Request{
				ID:      str(m.Values["i"]),
				Queue:   queue,
				Method:  str(m.Values["m"]),
				Payload: []byte(str(m.Values["p"])),
				Ticket:  m.ID,
				ReplyTo: str(m.Values["r"]),
			}
			if d, _ := strconv.ParseInt(str(m.Values["d"]), 10, 64); d > 0 {
				r.Deadline = time.Unix(0, d)
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// Reply writes the response to the caller's reply stream and drops the
// request from its queue, in one round trip.
func (b *backend) Reply(ctx context.Context, req driver.Request, resp driver.Response) error {
	key := b.k("q:" + req.Queue)
	_, err := b.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if req.ReplyTo != "" {
			p.XAdd(ctx, &goredis.XAddArgs{
				Stream: req.ReplyTo, MaxLen: 10000, Approx: true,
				Values: []any{"i", resp.ID, "p", resp.Payload, "c", resp.Code, "e", resp.Message},
			})
			p.PExpire(ctx, req.ReplyTo, 10*time.Minute)
		}
		p.XAck(ctx, key, "g", req.Ticket)
		p.XDel(ctx, key, req.Ticket)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: reply: %w", err)
	}
	return nil
}

func (b *backend) Watch(ctx context.Context) (<-chan driver.Event, error) {
	ps := b.c.Subscribe(ctx, b.k("events"))
	out := make(chan driver.Event, 64)
	// Receive ignores cancellation; closing the subscription ends it.
	go func() { <-ctx.Done(); ps.Close() }()
	go func() {
		defer close(out)
		send := func(ev driver.Event) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				// The subscription reconnects on the next Receive;
				// anything published meanwhile is lost, so say so.
				if !send(driver.Event{Kind: driver.Resync}) {
					return
				}
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
					return
				}
				continue
			}
			switch m := msg.(type) {
			case *goredis.Subscription:
				if !send(driver.Event{Kind: driver.Resync}) {
					return
				}
			case *goredis.Message:
				kind, rest, _ := strings.Cut(m.Payload, ":")
				ev := driver.Event{Kind: driver.Changed, Name: rest}
				if kind == "r" {
					ev.Kind = driver.Cleared
				}
				if !send(ev) {
					return
				}
			}
		}
	}()
	return out, nil
}

func (b *backend) Addr() string {
	if b.emb != nil {
		return "redis://" + b.emb.addr
	}
	return redactDSN(b.dsn)
}

func (b *backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	if b.stop != nil {
		close(b.stop)
	}
	b.mu.Unlock()
	err := b.c.Close()
	b.send.Close()
	if b.emb != nil {
		b.emb.release()
	}
	return err
}
