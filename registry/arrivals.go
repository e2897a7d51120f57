package registry

import (
	"errors"
	"sync"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

// inbox wakes the readers of this host's queues (one per served service,
// and the control loop) when the store reports requests on them. The host
// waits for those reports in one blocked read, whatever the number of its
// services: a blocked read per service cost a connection each on a real
// Redis and made miniredis re-check every one of them on every command
// (RATIONALE.md, "One blocked read per host").
type inbox struct {
	mu      sync.Mutex
	wakes   map[string]chan struct{} // queue -> its reader's wake-up
	waiting int                      // readers waiting on their queue (tryWait)
}

// waitFor is how long the reader of a service that served a call waits on
// its queue for the next: the next call then comes a round trip sooner than
// through the arrivals loop (RATIONALE.md).
const waitFor = time.Second

// tryWait lets a reader wait on its queue, if fewer than
// driver.MaxWaitingReceives of this host do; endWait ends that.
func (in *inbox) tryWait() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.waiting >= driver.MaxWaitingReceives {
		return false
	}
	in.waiting++
	return true
}

func (in *inbox) endWait() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.waiting--
}

// open makes the wake-up of a queue's reader. It holds at most one token,
// and starts with one: a reader reads once when it starts, as a request
// sent before may have been reported to no one.
func (in *inbox) open(queue string) chan struct{} {
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.wakes == nil {
		in.wakes = map[string]chan struct{}{}
	}
	in.wakes[queue] = wake
	return wake
}

// close forgets a reader's wake-up, unless a new reader of the same queue
// (a service registered again) has replaced it.
func (in *inbox) close(queue string, wake chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.wakes[queue] == wake {
		delete(in.wakes, queue)
	}
}

// ring wakes the readers of queues; a queue with no reader here (a service
// stopped since) is ignored.
func (in *inbox) ring(queues []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, q := range queues {
		if wake, ok := in.wakes[q]; ok {
			signal(wake)
		}
	}
}

// ringAll wakes every reader, after reports may have been lost.
func (in *inbox) ringAll() {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, wake := range in.wakes {
		signal(wake)
	}
}

// signal leaves a token in wake unless one waits there already.
func signal(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// drain takes the token from wake, if any. A reader drains before it
// reads: a report that comes later may be for a request the read takes
// (one read too many), but never goes unseen.
func drain(wake chan struct{}) {
	select {
	case <-wake:
	default:
	}
}

// arrivalsLoop waits for the store's reports of requests sent to this
// host's queues and wakes their readers. After an error, reports may have
// been lost, so once the store answers again every reader reads once. Like
// the other loops, it backs off while the store is unreachable and logs the
// start and the end of an outage, not each try.
func (r *Registry) arrivalsLoop() {
	defer r.wg.Done()
	backoff := time.Duration(0)
	failed, warned := false, false
	for r.ctx.Err() == nil {
		queues, err := r.be.Arrivals(r.ctx, r.id)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNotFound) {
				// The store lost this host's keys (a restart, or this host
				// was reaped while paused): the heartbeat restores them.
				r.beat(r.ctx)
			} else if !warned {
				r.log.Warn("waiting for calls failing; retrying", "err", err)
				warned = true
			}
			failed = true
			backoff = min(max(2*backoff, 50*time.Millisecond), 2*time.Second)
			sleepCtx(r.ctx, backoff)
			continue
		}
		backoff = 0
		if failed {
			if warned {
				r.log.Info("waiting for calls again")
			}
			failed, warned = false, false
			r.inbox.ringAll()
		}
		r.inbox.ring(queues)
	}
}
