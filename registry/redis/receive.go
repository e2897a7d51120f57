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

// Receive reads on the read pool, where every served service blocks.
func (b *backend) Receive(ctx context.Context, queue, consumer string, max int) ([]driver.Request, error) {
	if err := b.begin(); err != nil {
		return nil, err
	}
	defer b.end()
	res, err := b.reads.XReadGroup(ctx, &goredis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{b.keys.queue(queue), ">"}, Count: int64(max), Block: time.Second,
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
