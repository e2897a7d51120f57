package redis

import (
	"fmt"
	"net/url"
	"sync"

	"github.com/alicebob/miniredis/v2"
)

// embedded is an in-process Redis (miniredis) shared by every backend of the
// process that names the same address; the last release closes it.
type embedded struct {
	key  string
	addr string
	srv  *miniredis.Miniredis
	refs int
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
	// Heartbeat keys must expire in real time; miniredis only does that
	// when told to.
	srv.ClockTTL(true)
	if err := srv.StartAddr(listen); err != nil {
		return nil, fmt.Errorf("embedded: listen on %s: %w", listen, err)
	}
	e := &embedded{key: u.Host, addr: srv.Addr(), srv: srv, refs: 1}
	embeddeds[u.Host] = e
	return e, nil
}

func (e *embedded) release() {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(embeddeds, e.key)
		e.srv.Close()
	}
}
