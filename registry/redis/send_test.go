package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
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
	be := serving(t, "redis://"+p.l.Addr().String(), "amo")
	queue := keysOf("amo").queue(driver.ServiceQueue("s"))
	// A first request loads the script (nobody answers it; its caller takes
	// it back as it gives up).
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	be.Send(short, driver.Request{ID: "warm", Queue: driver.ServiceQueue("s")})
	cancel()
	p.armed.Store(true)
	// A resent request would be queued and wait out this deadline.
	callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := be.Send(callCtx, driver.Request{ID: "once", Queue: driver.ServiceQueue("s"), Payload: marker})
	if !errors.Is(err, driver.ErrLost) {
		t.Fatalf("send over a connection cut under its reply: %v, want ErrLost", err)
	}
	// The first leaves as its caller takes it back; the cut one stays, once.
	waitQueueLen(t, rs, queue, 1, "(the cut one, once)")
}

// A call waiting in its queue is checked for a lost request twice a
// second; the check must not fetch the request, payload and all, each time.
// It did: 4 MiB calls queued behind a busy service made Redis send their
// payloads over and over (444 MiB for 32 MiB of requests).
func TestLostCheckLeavesPayloadInRedis(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	be := serving(t, rs.URL(), "sweep")
	sent := func() int64 {
		var n int64
		for _, line := range strings.Split(rs.Client().Info(ctx, "stats").Val(), "\r\n") {
			if v, ok := strings.CutPrefix(line, "total_net_output_bytes:"); ok {
				n, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		return n
	}
	const size = 4 << 20
	before := sent()
	// Nobody reads the queue: the call waits out its deadline, checked by
	// three or four sweeps on the way.
	callCtx, cancel := context.WithTimeout(ctx, 2200*time.Millisecond)
	defer cancel()
	if _, err := be.Send(callCtx, driver.Request{ID: "big", Queue: driver.ServiceQueue("s"), Payload: bytes.Repeat([]byte("x"), size)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unanswered call: %v, want its deadline", err)
	}
	out := sent() - before
	t.Logf("Redis sent %d bytes while a %d-byte request waited 2.2 s unread", out, size)
	if out > size/4 {
		t.Fatalf("Redis sent %d bytes while a %d-byte request waited unread; the lost-request check must not fetch it", out, size)
	}
}

// Calls answered with large replies under load are answered, not lost: the
// owner deletes a request as it writes its reply, and the caller's one
// reply reader can take more than the lost-request check's second of grace
// to reach a reply behind hundreds of megabytes of others. The check took
// such calls for lost (47 of 96 at 4 MiB each), and their replies were
// dropped.
func TestLargeRepliesUnderLoadAreNotLost(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	caller := open(t, rs.URL(), "big")
	owner := serving(t, rs.URL(), "big")
	const callers, each, size = 32, 3, 4 << 20
	reply := bytes.Repeat([]byte("r"), size)
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { // the owner answers up to 32 requests at once, each with a large reply
		defer close(served)
		var replies sync.WaitGroup
		defer replies.Wait()
		for serveCtx.Err() == nil {
			reqs, err := owner.Receive(serveCtx, driver.ServiceQueue("s"), "h", callers, 100*time.Millisecond)
			if err != nil {
				continue
			}
			for _, r := range reqs {
				replies.Go(func() { owner.Reply(ctx, r, driver.Response{ID: r.ID, Payload: reply}) })
			}
		}
	}()
	defer func() { stopServing(); <-served }()
	errs := make(chan error, callers*each)
	for c := range callers {
		go func() {
			for i := range each {
				callCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				resp, err := caller.Send(callCtx, driver.Request{ID: fmt.Sprintf("c%d-%d", c, i), Queue: driver.ServiceQueue("s")})
				cancel()
				if err == nil && len(resp.Payload) != size {
					err = fmt.Errorf("reply of %d bytes, want %d", len(resp.Payload), size)
				}
				errs <- err
			}
		}()
	}
	lost := 0
	for range callers * each {
		if err := <-errs; errors.Is(err, driver.ErrLost) {
			lost++
		} else if err != nil {
			t.Error(err)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d answered calls reported lost", lost, callers*each)
	}
}

// A caller that gives up on a call still queued takes its request back: it
// used to run later all the same, holding a slot of the service for nobody.
// One already read by its owner stays, to run to its end.
func TestGivenUpCallsLeaveTheQueue(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	be := serving(t, rs.URL(), "withdraw")
	queue := keysOf("withdraw").queue(driver.ServiceQueue("s"))
	callCtx, cancel := context.WithCancel(ctx)
	sent := make(chan error, 6)
	for i := range 6 {
		go func() {
			_, err := be.Send(callCtx, driver.Request{ID: fmt.Sprint("c", i), Queue: driver.ServiceQueue("s")})
			sent <- err
		}()
	}
	for rs.Client().XLen(ctx, queue).Val() < 6 {
		time.Sleep(time.Millisecond) // polling a condition, not timing
	}
	// The owner reads one: it runs on whatever its caller does.
	if reqs, err := be.Receive(ctx, driver.ServiceQueue("s"), "h", 1, 0); err != nil || len(reqs) != 1 {
		t.Fatalf("the owner's read: %v, %v", reqs, err)
	}
	cancel()
	for range 6 {
		if err := <-sent; !errors.Is(err, context.Canceled) {
			t.Fatalf("a call given up: %v, want context.Canceled", err)
		}
	}
	waitQueueLen(t, rs, queue, 1, "(the one read, after their callers gave up)")
}

// open opens a backend of namespace ns, closed at the end of the test.
func open(t *testing.T, dsn, ns string) driver.Backend {
	t.Helper()
	be, err := Driver{}.Open(context.Background(), dsn, ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

// serving opens a backend of namespace ns whose host "h" is alive and owns
// service "s".
func serving(t *testing.T, dsn, ns string) driver.Backend {
	t.Helper()
	be, ctx := open(t, dsn, ns), context.Background()
	if _, err := be.Beat(ctx, driver.HostInfo{ID: "h"}, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := be.Claim(ctx, driver.Spec{Name: "s", Owner: "h"}); err != nil {
		t.Fatal(err)
	}
	return be
}

// waitQueueLen waits until queue holds n entries; why says which they are.
func waitQueueLen(t *testing.T, rs *testredis.Server, queue string, n int64, why string) {
	t.Helper()
	for t0 := time.Now(); rs.Client().XLen(context.Background(), queue).Val() != n; {
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("%d requests in the queue, want %d %s", rs.Client().XLen(context.Background(), queue).Val(), n, why)
		}
		time.Sleep(time.Millisecond) // polling a condition, not timing
	}
}
