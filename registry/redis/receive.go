package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

// isNoQueue tells the errors of a read from a stream that does not exist
// (NOGROUP) or was deleted while the read blocked.
func isNoQueue(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.HasPrefix(s, "NOGROUP") || strings.Contains(s, "no longer exists")
}

// bellBatch is the most bells one Arrivals read takes.
const bellBatch = 1024

// Arrivals blocks on the host's bell, the one stream that every request to
// one of the host's queues rings (sendScript): one blocked read per host
// whatever the number of its services. It reads with NOACK, as a bell only
// says where to look (Receive takes the requests), and deletes what it
// read beside the next read. Reads are never retried by go-redis: a retry
// after a connection broke under a reply would drop the bells it carried,
// while the error makes the host read every queue.
func (b *backend) Arrivals(ctx context.Context, host string) ([]string, error) {
	if err := b.begin(); err != nil {
		return nil, err
	}
	defer b.end()
	key := b.keys.bell(host)
	res, err := b.reads.XReadGroup(ctx, &goredis.XReadGroupArgs{
		Group: group, Consumer: host, Streams: []string{key, ">"}, Count: bellBatch, Block: time.Second, NoAck: true,
	}).Result()
	if err := readError(ctx, err, "arrivals", "bell of host "+host); err != nil || res == nil {
		return nil, err
	}
	var queues, read []string
	seen := map[string]bool{}
	for _, st := range res {
		for _, m := range st.Messages {
			read = append(read, m.ID)
			if q := str(m.Values["q"]); !seen[q] {
				seen[q] = true
				queues = append(queues, q)
			}
		}
	}
	if len(read) > 0 && b.begin() == nil {
		go func() {
			defer b.end()
			b.cmds.XDel(context.Background(), key, read...)
		}()
	}
	return queues, nil
}

// readError is what a stream read's error means to its caller: nil for
// nothing read (goredis.Nil), ErrNotFound for a stream that is gone (what
// names it), the context's error once it ended, else the error wrapped
// with op.
func readError(ctx context.Context, err error, op, what string) error {
	switch {
	case err == nil || errors.Is(err, goredis.Nil):
		return nil
	case isNoQueue(err):
		return fmt.Errorf("%w: %s: %v", driver.ErrNotFound, what, err)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return fmt.Errorf("redis: %s: %w", op, err)
	}
}

// Receive takes what waits on queue. A read that waits blocks on the read
// pool, sized for the MaxWaitingReceives of a host; one that does not runs
// on the request client. Neither is retried by go-redis: a retried read
// whose first reply was lost would leave the requests it took pending,
// unanswered.
//
// In the same round trip, before it reads, it marks the queue in the
// consumer's rung hash if it waits (a request sent while it waits reaches
// it without a bell) and clears the mark if it does not (a request sent
// after it read rings the bell again; one sent before is in this read,
// unless the read is full: the reader then reads again). A bell per
// request cost 13% of the calls a second at concurrency 32 on redis-server
// and a bell read per call at concurrency 1 (RATIONALE.md).
func (b *backend) Receive(ctx context.Context, queue, consumer string, max int, wait time.Duration) ([]driver.Request, error) {
	if err := b.begin(); err != nil {
		return nil, err
	}
	defer b.end()
	c, block := b.send, time.Duration(-1)
	if wait > 0 {
		c, block = b.reads, wait
	}
	var read *goredis.XStreamSliceCmd
	// The read's own outcome decides: were only the mark to fail, the
	// requests read must still be served.
	c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if wait > 0 {
			p.HSet(ctx, b.keys.rung(consumer), queue, 1)
		} else {
			p.HDel(ctx, b.keys.rung(consumer), queue)
		}
		read = p.XReadGroup(ctx, &goredis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: []string{b.keys.queue(queue), ">"}, Count: int64(max), Block: block,
		})
		return nil
	})
	res, err := read.Result()
	if err := readError(ctx, err, "receive", "queue "+queue); err != nil || res == nil {
		if errors.Is(err, driver.ErrNotFound) {
			b.queueGone.Store(true) // the next beat puts it back if the service is still ours
		}
		return nil, err
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

// Reply writes the response to the caller's reply stream, refreshes that
// stream's expiry (the backstop for a caller that died: its reader deletes
// what it reads), and drops the request from its queue, in one round trip.
func (b *backend) Reply(ctx context.Context, req driver.Request, resp driver.Response) error {
	if err := b.begin(); err != nil {
		return err
	}
	defer b.end()
	key := b.keys.queue(req.Queue)
	_, err := b.cmds.Pipelined(ctx, func(p goredis.Pipeliner) error {
		if req.ReplyTo != "" {
			p.XAdd(ctx, &goredis.XAddArgs{
				Stream: req.ReplyTo, MaxLen: 10000, Approx: true,
				Values: []any{"i", resp.ID, "p", resp.Payload, "c", resp.Code, "e", resp.Message},
			})
			p.PExpire(ctx, req.ReplyTo, b.replyTTL)
		}
		p.XAck(ctx, key, group, req.Ticket)
		p.XDel(ctx, key, req.Ticket)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: reply: %w", err)
	}
	return nil
}
