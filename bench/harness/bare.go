package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The bare baseline is the least a Redis Streams request/reply can do
// between two processes: the caller XADDs a request naming its reply
// stream; the server reads the group, XADDs the payload back, acks and
// deletes; one reader per caller routes replies by id. No registry, no
// deadlines, no liveness: what sandhost's calls cost beyond it is theirs.
const (
	bareRequests = "bare:req"
	bareGroup    = "bare"
)

// ServeEcho is the bare baseline's server process (`host bench
// --serve-echo URL`): it answers requests until ctx ends. It prints "ready"
// on stdout once it reads the group.
func ServeEcho(ctx context.Context, url string) error {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("harness: echo server: %w", err)
	}
	opt.PoolSize = 256
	c := goredis.NewClient(opt)
	defer c.Close()
	if err := c.XGroupCreateMkStream(ctx, bareRequests, bareGroup, "$").Err(); err != nil && !isBusyGroup(err) {
		return fmt.Errorf("harness: echo server: %w", err)
	}
	fmt.Fprintln(os.Stdout, "ready")
	for ctx.Err() == nil {
		res, err := c.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: bareGroup, Consumer: "echo",
			Streams: []string{bareRequests, ">"}, Count: 256, Block: time.Second}).Result()
		if err != nil {
			continue // a timeout (redis.Nil) or ctx's end
		}
		for _, m := range res[0].Messages {
			go func() { // the server runs requests at once, as a host does
				reply, _ := m.Values["r"].(string)
				c.Pipelined(ctx, func(p goredis.Pipeliner) error {
					p.XAdd(ctx, &goredis.XAddArgs{Stream: reply, Values: []any{"i", m.Values["i"], "p", m.Values["p"]}})
					p.XAck(ctx, bareRequests, bareGroup, m.ID)
					p.XDel(ctx, bareRequests, m.ID)
					return nil
				})
			}()
		}
	}
	return nil
}

// isBusyGroup: the group exists already (a second server on the stream).
func isBusyGroup(err error) bool { return strings.HasPrefix(err.Error(), "BUSYGROUP") }

// BareClient is the bare baseline's caller (bench/roundtrip_test.go's too).
type BareClient struct {
	c       *goredis.Client
	reply   string
	mu      sync.Mutex
	seq     int
	pending map[string]chan struct{}
	done    chan struct{}
}

// NewBareClient connects a caller of ServeEcho's server on the Redis at url.
func NewBareClient(url string) (*BareClient, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.PoolSize = 256
	bc := &BareClient{c: goredis.NewClient(opt), reply: "bare:reply:" + strconv.FormatInt(time.Now().UnixNano(), 36),
		pending: map[string]chan struct{}{}, done: make(chan struct{})}
	go bc.read()
	return bc, nil
}

// read routes replies to their callers, deleting what it read with the
// next read.
func (bc *BareClient) read() {
	defer close(bc.done)
	ctx := context.Background()
	last := "0-0"
	var seen []string
	for {
		pipe := bc.c.Pipeline()
		if len(seen) > 0 {
			pipe.XDel(ctx, bc.reply, seen...)
		}
		next := pipe.XRead(ctx, &goredis.XReadArgs{Streams: []string{bc.reply, last}, Count: 512, Block: time.Second})
		pipe.Exec(ctx)
		seen = seen[:0]
		res, err := next.Result()
		if errors.Is(err, goredis.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		for _, m := range res[0].Messages {
			last = m.ID
			seen = append(seen, m.ID)
			id, _ := m.Values["i"].(string)
			bc.mu.Lock()
			ch := bc.pending[id]
			delete(bc.pending, id)
			bc.mu.Unlock()
			if ch != nil {
				close(ch)
			}
		}
	}
}

// Call sends payload and waits for its echo.
func (bc *BareClient) Call(ctx context.Context, payload []byte) error {
	bc.mu.Lock()
	bc.seq++
	id := strconv.Itoa(bc.seq)
	ch := make(chan struct{})
	bc.pending[id] = ch
	bc.mu.Unlock()
	err := bc.c.XAdd(ctx, &goredis.XAddArgs{Stream: bareRequests, Values: []any{"i", id, "p", payload, "r", bc.reply}}).Err()
	if err == nil {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	bc.mu.Lock()
	delete(bc.pending, id)
	bc.mu.Unlock()
	return fmt.Errorf("harness: bare call: %w", err)
}

// Close deletes the streams the baseline made, its server stopped.
func (bc *BareClient) Close() {
	bc.c.Del(context.Background(), bc.reply, bareRequests)
	bc.c.Close()
	<-bc.done
}
