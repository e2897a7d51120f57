package redis

import (
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// ttlTick is how often the embedded server's TTLs follow the wall clock.
// miniredis can follow it at every command (ClockTTL), but then every
// command sorts and walks all the keys, a queue per service: registering
// the 1,200th service took 10 ms and a heartbeat timed out with 1,500
// (RATIONALE.md, "One blocked read per host"). A tick costs that walk once;
// keys expire up to a tick late.
const ttlTick = 100 * time.Millisecond

// embedded is an in-process Redis (miniredis) shared by every backend of the
// process that names the same address; the last release closes it.
type embedded struct {
	key  string
	addr string
	srv  *miniredis.Miniredis
	refs int
	stop chan struct{} // closed by the last release: ends tick
}

var (
	embeddedMu sync.Mutex
	embeddeds  = map[string]*embedded{} // by the address asked for ("" = any)
)

func acquireEmbedded(dsn string) (*embedded, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("embedded: bad DSN %q: %w", dsn, err)
	}
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	if e, ok := embeddeds[u.Host]; ok {
		e.refs++
		return e, nil
	}
	listen := u.Host
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr(listen); err != nil {
		return nil, fmt.Errorf("embedded: listen on %s: %w", listen, err)
	}
	e := &embedded{key: u.Host, addr: srv.Addr(), srv: srv, refs: 1, stop: make(chan struct{})}
	embeddeds[u.Host] = e
	go e.tick()
	return e, nil
}

// tick moves the server's TTLs on by the wall-clock time passed, every
// ttlTick: heartbeat keys must expire in real time, and miniredis only
// does that when told to.
func (e *embedded) tick() {
	t := time.NewTicker(ttlTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			now := time.Now()
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

func (e *embedded) release() {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(embeddeds, e.key)
		close(e.stop)
		e.srv.Close()
	}
}
