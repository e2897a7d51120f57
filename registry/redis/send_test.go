package redis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver"
)

// cuttingProxy forwards TCP to a Redis and, once armed, cuts the connection
// that carries a marker right after forwarding it: Redis runs the command,
// the client never sees the reply.
type cuttingProxy struct {
	l      net.Listener
	target string
	marker []byte
	armed  atomic.Bool
}

func startCuttingProxy(t *testing.T, target string, marker []byte) *cuttingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{l: l, target: target, marker: marker}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *cuttingProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	var cut atomic.Bool
	go func() { // server to client: nothing once cut
		buf := make([]byte, 64<<10)
		for {
			n, err := server.Read(buf)
			if err != nil || cut.Load() {
				client.Close()
				server.Close()
				return
			}
			client.Write(buf[:n])
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			server.Close()
			return
		}
		if bytes.Contains(buf[:n], p.marker) && p.armed.CompareAndSwap(true, false) {
			cut.Store(true)
		}
		if _, err := server.Write(buf[:n]); err != nil && !errors.Is(err, io.EOF) {
			return
		}
	}
}

// A request whose connection breaks before its reply is not sent again:
// Redis may have run it, and a resend would deliver the call twice (go-redis
// retries such commands by default). The caller gets ErrLost instead.
func TestSendAtMostOnce(t *testing.T) {
	rs := testredis.Start(t)
	marker := []byte("CUT-THIS-REQUEST")
	p := startCuttingProxy(t, "127.0.0.1"+rs.URL()[len("redis://127.0.0.1"):], marker)
	ctx := context.Background()
	be, err := Driver{}.Open(ctx, "redis://"+p.l.Addr().String(), "amo")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Claim(ctx, driver.Spec{Name: "s", Owner: "h"}); err != nil {
		t.Fatal(err)
	}
	queue := keysOf("amo").queue(driver.ServiceQueue("s"))
	// A first request loads the script (nobody answers it).
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	be.Send(short, driver.Request{ID: "warm", Queue: driver.ServiceQueue("s")})
	cancel()
	p.armed.Store(true)
	// A resent request would be queued and wait out this deadline.
	callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = be.Send(callCtx, driver.Request{ID: "once", Queue: driver.ServiceQueue("s"), Payload: marker})
	if !errors.Is(err, driver.ErrLost) {
		t.Fatalf("send over a connection cut under its reply: %v, want ErrLost", err)
	}
	if n := rs.Client().XLen(ctx, queue).Val(); n != 2 {
		t.Fatalf("%d requests in the queue, want 2 (the first and the cut one, once)", n)
	}
}
