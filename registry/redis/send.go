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

// pendingCall is a call waiting for its reply.
type pendingCall struct {
	ch     chan driver.Response
	key    string // the request's stream, and its entry ID once added
	id     string
	sent   time.Time
	goneAt time.Time // when the request was first seen missing
	// replyMark is the reply stream's last entry then: a reply to this
	// call, if any, is at or before it.
	replyMark streamID
}

// codeLost is the private response code the sweeper delivers for a call
// whose request the store lost.
const codeLost = "lost"

// Send appends the request to its queue's stream, in one script that first
// checks that the owner lives (a call to a dead host writes nothing) and
// never recreates a removed queue; then it waits for the reply that the
// reply reader routes to it.
func (b *backend) Send(ctx context.Context, req driver.Request) (driver.Response, error) {
	pc := &pendingCall{ch: make(chan driver.Response, 1), key: b.keys.queue(req.Queue), sent: time.Now()}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return driver.Response{}, driver.ErrClosed
	}
	b.pending[req.ID] = pc
	if !b.readerOn {
		b.readerOn = true
		b.readerWG.Add(1)
		go b.readReplies()
		go b.sweepLost()
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
	target, isHost := driver.ParseQueue(req.Queue)
	hostFlag := "0"
	if isHost {
		hostFlag = "1"
	}
	res, err := b.run(ctx, b.send, sendScript, []string{pc.key},
		target, hostFlag, req.ID, req.Method, req.Payload, dl, b.replyKey, req.Queue).Result()
	if err != nil {
		if ctx.Err() != nil {
			return driver.Response{}, context.Cause(ctx)
		}
		if errors.Is(err, driver.ErrClosed) {
			return driver.Response{}, err
		}
		// Redis may or may not have taken the request before the error.
		return driver.Response{}, fmt.Errorf("%w: sending to %s: %v", driver.ErrLost, req.Queue, err)
	}
	switch v := res.(type) {
	case string:
		b.mu.Lock()
		pc.id = v
		b.mu.Unlock()
	case int64:
		if v == -2 {
			return driver.Response{}, fmt.Errorf("%w: the host serving %s stopped heartbeating", driver.ErrHostGone, req.Queue)
		}
		return driver.Response{}, fmt.Errorf("%w: no queue %s", driver.ErrNotFound, req.Queue)
	}
	select {
	case resp := <-pc.ch:
		if resp.Code == codeLost {
			return driver.Response{}, fmt.Errorf("%w: the request to %s vanished from the store unanswered (restarted without persistence, or reset)", driver.ErrLost, req.Queue)
		}
		return resp, nil
	case <-ctx.Done():
		go b.withdraw(pc) // the caller has given up: it does not wait for Redis
		return driver.Response{}, context.Cause(ctx)
	case <-b.stop:
		return driver.Response{}, driver.ErrClosed
	}
}

// withdraw deletes the request of a call its caller gave up on, if its
// owner has not read it yet: a request left there would still run later,
// holding one of the service's slots for nobody. One the owner has read
// runs on; its reply is dropped.
func (b *backend) withdraw(pc *pendingCall) {
	b.mu.Lock()
	id := pc.id
	b.mu.Unlock()
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lostCheckInterval)
	defer cancel()
	b.run(ctx, b.cmds, withdrawScript, []string{pc.key}, id)
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
func (b *backend) sweepLost() {
	t := time.NewTicker(lostCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
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
		keys, ids := make([]string, 1, len(calls)+1), make([]any, len(calls))
		keys[0] = b.replyKey
		for i, pc := range calls {
			keys, ids[i] = append(keys, pc.key), pc.id
		}
		ctx, cancel := context.WithTimeout(context.Background(), lostCheckInterval)
		res, err := b.run(ctx, b.cmds, presentScript, keys, ids...).Slice()
		cancel()
		if err != nil || len(res) != len(calls)+1 {
			continue // the store is unreachable: nothing can be told yet
		}
		mark := parseStreamID(str(res[0]))
		b.mu.Lock()
		read := b.repliesRead
		b.mu.Unlock()
		for i, pc := range calls {
			if n, _ := res[i+1].(int64); n > 0 {
				continue
			}
			switch {
			case pc.goneAt.IsZero():
				pc.goneAt, pc.replyMark = now, mark
			// The owner writes the reply before it deletes the request: lost
			// only once the reader has routed every reply written by then
			// (large replies can keep it busy for seconds).
			case now.Sub(pc.goneAt) >= time.Second && !read.before(pc.replyMark):
				select {
				case pc.ch <- driver.Response{Code: codeLost}:
				default:
				}
			}
		}
	}
}

// readReplies is the one reader of this backend's reply stream; it routes
// each reply to the Send waiting for it (replies for callers that gave up
// are dropped) and deletes what it read: a reply leaves Redis once its
// caller has it. Close wakes it with an entry of its own.
func (b *backend) readReplies() {
	defer b.readerWG.Done()
	ctx := context.Background()
	last := "0-0"
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		res, err := b.reads.XRead(ctx, &goredis.XReadArgs{Streams: []string{b.replyKey, last}, Count: 256, Block: time.Second}).Result()
		if err != nil {
			if !errors.Is(err, goredis.Nil) {
				// Connection trouble: back off briefly; Send callers keep
				// their own deadlines.
				select {
				case <-time.After(50 * time.Millisecond):
				case <-b.stop:
				}
			}
			continue
		}
		var read []string
		for _, st := range res {
			for _, m := range st.Messages {
				last = m.ID
				read = append(read, m.ID)
				b.route(driver.Response{
					ID:      str(m.Values["i"]),
					Payload: []byte(str(m.Values["p"])),
					Code:    str(m.Values["c"]),
					Message: str(m.Values["e"]),
				})
			}
		}
		b.mu.Lock()
		b.repliesRead = parseStreamID(last)
		b.mu.Unlock()
		if len(read) > 0 && b.begin() == nil {
			// Deleted beside the next read rather than before it, which
			// cost a round trip per batch at concurrency 32. Not deleted
			// if this fails: the stream's expiry is the backstop.
			go func() {
				defer b.end()
				b.cmds.XDel(ctx, b.replyKey, read...)
			}()
		}
	}
}

// route hands a reply to the call waiting for it, if any.
func (b *backend) route(resp driver.Response) {
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

func str(v any) string {
	s, _ := v.(string)
	return s
}

// streamID is a Redis stream entry ID, "ms-seq".
type streamID struct{ ms, seq uint64 }

// parseStreamID reads an entry ID; anything else is the zero ID.
func parseStreamID(s string) streamID {
	ms, seq, _ := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if err1 != nil || err2 != nil {
		return streamID{}
	}
	return streamID{a, b}
}

// before says whether id comes before o in a stream.
func (id streamID) before(o streamID) bool {
	return id.ms < o.ms || id.ms == o.ms && id.seq < o.seq
}
