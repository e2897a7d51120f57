package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// serve takes calls from the service's queue while it has free slots, so
// calls beyond its max concurrency wait in the store, in order. It reads
// when the host's arrivals loop wakes it (arrivals.go), once at the start,
// and again at once while its reads fill their batch. After a read that
// took calls it waits on the queue itself for a while, if few readers of
// this host do, so that the next call skips the arrivals loop's hop.
func (r *Registry) serve(run *localService) {
	queue := driver.ServiceQueue(run.spec.Name)
	r.serveQueue(run, queue, r.inbox.open(queue), true, false, false)
}

// serveQueue is serve's loop; more says that a read may find requests
// without a wake-up, hot that a read took some since the last wait on the
// queue that took none, watched that the last read waited: requests sent
// since may have rung no bell (driver.Backend.Arrivals), so the next read
// waits again or is made at once.
func (r *Registry) serveQueue(run *localService, queue string, wake chan struct{}, more, hot, watched bool) {
	backoff := time.Duration(0)
	warned := false // log the start and the end of an outage, not each try
	for {
		wait := time.Duration(0)
		if !more {
			if hot && r.inbox.tryWait() {
				wait = waitFor
			} else if !watched {
				select {
				case <-wake:
				case <-run.ctx.Done():
				}
			}
		}
		n, err := run.lim.waitFree(run.ctx)
		if err != nil {
			if wait > 0 {
				r.inbox.endWait()
			}
			break
		}
		drain(wake)
		ask := min(n, 64)
		reqs, err := r.be.Receive(run.ctx, queue, r.id, ask, wait)
		if wait > 0 {
			r.inbox.endWait()
		}
		watched = wait > 0
		if err != nil {
			if run.ctx.Err() != nil {
				break
			}
			if errors.Is(err, ErrNotFound) {
				// The queue is gone: a reset, or a store that lost its
				// data. The heartbeat tells which (and restores it).
				r.beat(run.ctx)
			} else if !warned {
				r.log.Warn("receive failing; retrying", "service", run.spec.Name, "err", err)
				warned = true
			}
			// Back off to at most 2 s while the store is unreachable.
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			sleepCtx(run.ctx, backoff)
			more = true
			continue
		}
		if warned {
			r.log.Info("receiving again", "service", run.spec.Name)
			warned = false
		}
		backoff = 0
		more = len(reqs) == ask
		if len(reqs) > 0 {
			hot = true
		} else if wait > 0 {
			hot = false // waited in vain: the arrivals loop wakes it now
		}
		if run.ctx.Err() != nil {
			// Stopped while reading: answer rather than leave callers waiting.
			for _, req := range reqs {
				r.reply(req, driver.Response{ID: req.ID, Code: codeOf(ErrNotFound), Message: fmt.Sprintf("%v: service %q stopped", ErrNotFound, run.spec.Name)})
			}
			break
		}
		if len(reqs) == 0 {
			continue
		}
		last := len(reqs) - 1
		for _, req := range reqs[:last] {
			go r.serveCall(run, req, false)
		}
		if run.lim.tryAcquire() {
			// Run the last call on this goroutine, which is running now,
			// and go on reading in a new one: handing the call to a fresh
			// goroutine instead cost about 40 µs of round trip at
			// concurrency 1 (RATIONALE.md).
			go r.serveQueue(run, queue, wake, more, hot, watched)
			r.serveCall(run, reqs[last], true)
			return
		}
		go r.serveCall(run, reqs[last], false)
	}
	r.inbox.close(queue, wake)
}

// serveCall runs one call read from the store and replies; held says its
// slot is already taken.
func (r *Registry) serveCall(run *localService, req driver.Request, held bool) {
	resp := r.respond(run.ctx, req, func(ctx context.Context) ([]byte, error) {
		if !held {
			// Queue with in-process callers for a slot, in FIFO order.
			if err := run.lim.acquire(ctx); err != nil {
				return nil, r.stopped(run, err)
			}
		}
		held = false
		defer run.lim.release(1)
		out, err := safeCall(ctx, run.svc, req.Method, req.Payload)
		return out, r.stopped(run, err)
	})
	if held { // respond answered without calling (deadline passed)
		run.lim.release(1)
	}
	r.reply(req, resp)
}

// stopped tells a call that ended cancelled because its service stopped
// here (unregistered, reset, the host closing) that it was stopped, not
// the service's own failure: it was sent as a ServiceError saying "context
// canceled" to callers on other hosts.
func (r *Registry) stopped(run *localService, err error) error {
	if err != nil && run.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: service %q stopped while the call ran", ErrNotFound, run.spec.Name)
	}
	return err
}

// respond runs fn under the request's deadline and encodes the outcome as
// its response.
func (r *Registry) respond(ctx context.Context, req driver.Request, fn func(context.Context) ([]byte, error)) driver.Response {
	if !req.Deadline.IsZero() {
		if time.Now().After(req.Deadline) {
			return encodeResult(req.ID, nil, fmt.Errorf("%w: deadline passed while queued", ErrDeadlineExceeded))
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, req.Deadline)
		defer cancel()
	}
	out, err := fn(ctx)
	return encodeResult(req.ID, out, err)
}

func (r *Registry) reply(req driver.Request, resp driver.Response) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.be.Reply(ctx, req, resp)
	if err == nil {
		return
	}
	// The store refused the reply (one larger than Redis takes resets the
	// connection) or could not be reached: say so in a small reply, which
	// also takes the request off its queue, rather than leave the caller to
	// wait out its deadline beside a request nobody will answer.
	r.log.Warn("reply failed; telling the caller", "queue", req.Queue, "bytes", len(resp.Payload), "err", err)
	lost := encodeResult(req.ID, nil, fmt.Errorf("%w: the call ran, but its reply of %d bytes could not be written: %v", ErrLost, len(resp.Payload), err))
	if err := r.be.Reply(ctx, req, lost); err != nil {
		r.log.Warn("reply failed", "queue", req.Queue, "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
