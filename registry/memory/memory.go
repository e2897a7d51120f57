// Package memory is the in-process registry backend ("memory://" DSNs).
//
// Every registry opened in one process with the same DSN shares one store, so
// a second registry object sees the first one's services. Nothing crosses the
// process: use the redis backend to share services between hosts.
package memory

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/sandhost/sandhost/registry/driver"
)

func init() { driver.Register("memory", Driver{}) }

// Driver opens memory backends; "memory://" and "memory://NAME" name
// separate stores.
type Driver struct{}

var (
	storesMu sync.Mutex
	stores   = map[string]*store{} // key: store name + "\x00" + namespace
)

// Open implements driver.Driver.
func (Driver) Open(_ context.Context, dsn, ns string) (driver.Backend, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "memory" {
		return nil, fmt.Errorf("memory: bad DSN %q: want memory:// or memory://NAME", dsn)
	}
	key := u.Host + u.Path + "\x00" + ns
	storesMu.Lock()
	defer storesMu.Unlock()
	s, ok := stores[key]
	if !ok {
		s = &store{
			specs:   map[string]driver.Spec{},
			hosts:   map[string]hostEntry{},
			queues:  map[string]*queue{},
			bells:   map[string]*bell{},
			pending: map[string]chan reply{},
		}
		stores[key] = s
	}
	return &backend{s: s}, nil
}

type hostEntry struct {
	info    driver.HostInfo
	expires time.Time
}

type store struct {
	mu      sync.Mutex
	gen     int // bumped by Reset
	specs   map[string]driver.Spec
	hosts   map[string]hostEntry
	queues  map[string]*queue
	bells   map[string]*bell // host ID -> its queues that got requests
	pending map[string]chan reply
	subs    []*subscriber
	blobs   map[string][]byte // driver.DataStore (data.go); nil until used
	kv      map[string][]byte
}

// reply is what a waiting Send gets: the response, or why none will come.
type reply struct {
	resp driver.Response
	err  error
}

type queue struct {
	items  []driver.Request
	notify chan struct{} // closed and replaced when items arrive, closed when removed
}

func newQueue() *queue { return &queue{notify: make(chan struct{})} }

// bell tells a host which of its queues got requests (Arrivals).
type bell struct {
	queues map[string]struct{}
	notify chan struct{} // closed and replaced when a queue is rung
}

// bellLocked returns the bell of a host, made on first use.
func (s *store) bellLocked(host string) *bell {
	b, ok := s.bells[host]
	if !ok {
		b = &bell{queues: map[string]struct{}{}, notify: make(chan struct{})}
		s.bells[host] = b
	}
	return b
}

// ringLocked tells host that queue got a request.
func (s *store) ringLocked(host, queue string) {
	b := s.bellLocked(host)
	b.queues[queue] = struct{}{}
	close(b.notify)
	b.notify = make(chan struct{})
}

type subscriber struct {
	mu     sync.Mutex
	events []driver.Event
	wake   chan struct{}
}

func (s *subscriber) push(ev driver.Event) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

type backend struct {
	s *store
}

func (s *store) aliveLocked(id string) bool {
	h, ok := s.hosts[id]
	return ok && time.Now().Before(h.expires)
}

func (s *store) publishLocked(ev driver.Event) {
	for _, sub := range s.subs {
		sub.push(ev)
	}
}

// dropQueueLocked removes a queue; a Receive waiting on it returns.
func (s *store) dropQueueLocked(name string) {
	if q, ok := s.queues[name]; ok {
		close(q.notify)
		delete(s.queues, name)
	}
}

func (s *store) removeLocked(name string) {
	delete(s.specs, name)
	s.dropQueueLocked(driver.ServiceQueue(name))
	s.publishLocked(driver.Event{Kind: driver.Changed, Name: name})
}

func (b *backend) Claim(_ context.Context, spec driver.Spec) (driver.Spec, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.specs[spec.Name]; ok && (s.aliveLocked(old.Owner) || old.Owner == spec.Owner) {
		return spec, fmt.Errorf("%w: %q", driver.ErrExists, spec.Name)
	}
	spec.Generation = strconv.Itoa(s.gen)
	s.specs[spec.Name] = spec
	s.queues[driver.ServiceQueue(spec.Name)] = newQueue()
	s.publishLocked(driver.Event{Kind: driver.Changed, Name: spec.Name})
	return spec, nil
}

func (b *backend) Release(_ context.Context, name, owner string) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp, ok := s.specs[name]; ok && (owner == "" || sp.Owner == owner) {
		s.removeLocked(name)
	}
	return nil
}

func (b *backend) Lookup(_ context.Context, name string) (driver.Spec, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.specs[name]
	if !ok || !s.aliveLocked(sp.Owner) {
		return driver.Spec{}, driver.ErrNotFound
	}
	return sp, nil
}

func (b *backend) Names(_ context.Context) ([]string, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.specs))
	for name, sp := range s.specs {
		if s.aliveLocked(sp.Owner) {
			out = append(out, name)
		}
	}
	return out, nil
}

func (b *backend) List(_ context.Context) ([]driver.Spec, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]driver.Spec, 0, len(s.specs))
	for _, sp := range s.specs {
		if s.aliveLocked(sp.Owner) {
			out = append(out, sp)
		}
	}
	return out, nil
}

func (b *backend) Reset(_ context.Context) (string, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.specs {
		delete(s.specs, name)
		if q, ok := s.queues[driver.ServiceQueue(name)]; ok {
			// Requests still queued are dropped with their queue: their
			// callers get ErrLost, as with Redis.
			for _, req := range q.items {
				if ch, ok := s.pending[req.ReplyTo]; ok {
					delete(s.pending, req.ReplyTo)
					ch <- reply{err: fmt.Errorf("%w: namespace reset while %s was queued", driver.ErrLost, req.ID)}
				}
			}
			s.dropQueueLocked(driver.ServiceQueue(name))
		}
	}
	s.blobs, s.kv = nil, nil
	s.gen++
	s.publishLocked(driver.Event{Kind: driver.Cleared, Name: strconv.Itoa(s.gen)})
	return strconv.Itoa(s.gen), nil
}

func (b *backend) Beat(_ context.Context, h driver.HostInfo, ttl time.Duration, owned []driver.Spec) ([]string, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[h.ID] = hostEntry{info: h, expires: time.Now().Add(ttl)}
	if _, ok := s.queues[driver.HostQueue(h.ID)]; !ok {
		s.queues[driver.HostQueue(h.ID)] = newQueue()
	}
	var stop []string
	for _, sp := range owned {
		if cur, ok := s.specs[sp.Name]; !ok || cur.Owner != h.ID {
			stop = append(stop, sp.Name)
		}
	}
	return stop, nil
}

func (b *backend) Hosts(_ context.Context) ([]driver.HostInfo, error) {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []driver.HostInfo
	for id, h := range s.hosts {
		if s.aliveLocked(id) {
			out = append(out, h.info)
		}
	}
	return out, nil
}

func (b *backend) HostAlive(_ context.Context, id string) (bool, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	return b.s.aliveLocked(id), nil
}

func (b *backend) Leave(_ context.Context, id string) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropHostLocked(id)
	return nil
}

func (s *store) dropHostLocked(id string) {
	delete(s.hosts, id)
	s.dropQueueLocked(driver.HostQueue(id))
	if b, ok := s.bells[id]; ok {
		close(b.notify) // a waiting Arrivals returns at once
		delete(s.bells, id)
	}
	for name, sp := range s.specs {
		if sp.Owner == id {
			s.removeLocked(name)
		}
	}
}

func (b *backend) Reap(_ context.Context) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.hosts {
		if !s.aliveLocked(id) {
			s.dropHostLocked(id)
		}
	}
	return nil
}

func (b *backend) Send(ctx context.Context, req driver.Request) (driver.Response, error) {
	s := b.s
	ch := make(chan reply, 1)
	s.mu.Lock()
	q, ok := s.queues[req.Queue]
	if !ok {
		s.mu.Unlock()
		return driver.Response{}, fmt.Errorf("%w: queue %s", driver.ErrNotFound, req.Queue)
	}
	// A call whose owner is dead is refused, not queued (as in redis).
	owner, isHost := driver.ParseQueue(req.Queue)
	if !isHost {
		owner = s.specs[owner].Owner
	}
	if !s.aliveLocked(owner) {
		s.mu.Unlock()
		return driver.Response{}, fmt.Errorf("%w: the host serving %s stopped heartbeating", driver.ErrHostGone, req.Queue)
	}
	req.ReplyTo = req.ID
	s.pending[req.ID] = ch
	q.items = append(q.items, req)
	close(q.notify)
	q.notify = make(chan struct{})
	s.ringLocked(owner, req.Queue)
	s.mu.Unlock()
	select {
	case r := <-ch:
		return r.resp, r.err
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, req.ID)
		s.mu.Unlock()
		return driver.Response{}, ctx.Err()
	}
}

func (b *backend) Arrivals(ctx context.Context, host string) ([]string, error) {
	s := b.s
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	for {
		s.mu.Lock()
		bl := s.bellLocked(host)
		if len(bl.queues) > 0 {
			out := make([]string, 0, len(bl.queues))
			for q := range bl.queues {
				out = append(out, q)
			}
			clear(bl.queues)
			s.mu.Unlock()
			return out, nil
		}
		wait := bl.notify
		s.mu.Unlock()
		select {
		case <-wait:
			s.mu.Lock()
			gone := s.bells[host] != bl // the host left (dropHostLocked)
			s.mu.Unlock()
			if gone {
				return nil, nil
			}
		case <-timer.C:
			s.dropIdleBell(host)
			return nil, nil
		case <-ctx.Done():
			s.dropIdleBell(host)
			return nil, ctx.Err()
		}
	}
}

// dropIdleBell removes the bell of a host that is not live, if nothing rang
// it: a read after the host left makes one, and the store outlives the
// registries that use it.
func (s *store) dropIdleBell(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, live := s.hosts[host]; live {
		return
	}
	if b, ok := s.bells[host]; ok && len(b.queues) == 0 {
		delete(s.bells, host)
	}
}

func (b *backend) Receive(ctx context.Context, queueName, _ string, max int, wait time.Duration) ([]driver.Request, error) {
	s := b.s
	var expired <-chan time.Time
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		expired = timer.C
	}
	for {
		s.mu.Lock()
		q, ok := s.queues[queueName]
		if !ok {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: queue %s", driver.ErrNotFound, queueName)
		}
		if n := min(max, len(q.items)); n > 0 || wait <= 0 {
			out := append([]driver.Request(nil), q.items[:n]...)
			q.items = q.items[n:]
			s.mu.Unlock()
			return out, nil
		}
		arrived := q.notify
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-expired:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (b *backend) Reply(_ context.Context, req driver.Request, resp driver.Response) error {
	s := b.s
	s.mu.Lock()
	ch, ok := s.pending[req.ReplyTo]
	delete(s.pending, req.ReplyTo)
	s.mu.Unlock()
	if ok {
		ch <- reply{resp: resp}
	}
	return nil
}

func (b *backend) Watch(ctx context.Context) (<-chan driver.Event, error) {
	s := b.s
	// The first event tells the caller the feed is live.
	sub := &subscriber{wake: make(chan struct{}, 1), events: []driver.Event{{Kind: driver.Resync}}}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	out := make(chan driver.Event)
	go func() {
		defer close(out)
		defer func() {
			s.mu.Lock()
			for i, x := range s.subs {
				if x == sub {
					s.subs = append(s.subs[:i], s.subs[i+1:]...)
					break
				}
			}
			s.mu.Unlock()
		}()
		for {
			sub.mu.Lock()
			evs := sub.events
			sub.events = nil
			sub.mu.Unlock()
			for _, ev := range evs {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-sub.wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (b *backend) Addr() string { return "" }

func (b *backend) Close() error { return nil }
