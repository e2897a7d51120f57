package test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// megabyte is a 1 MiB JSON string payload.
var megabyte = strings.Repeat("x", 1<<20)

// bigCalls sets and gets a 1 MiB value n times through h.
func bigCalls(t *testing.T, h *registry.Handle, n int) {
	t.Helper()
	for range n {
		if _, err := registry.CallJSON[string](context.Background(), h, "set", megabyte); err != nil {
			t.Fatal(err)
		}
		if _, err := registry.CallJSON[string](context.Background(), h, "get", nil); err != nil {
			t.Fatal(err)
		}
	}
}

func openClient(t *testing.T, url, ns string) *registry.Registry {
	t.Helper()
	r, err := registry.Open(context.Background(), url, registry.WithNamespace(ns), registry.ClientOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func replyKeys(rs *testredis.Server, ns string) []string {
	var out []string
	for _, k := range rs.Keys(ns) {
		if strings.Contains(k, ":reply:") {
			out = append(out, k)
		}
	}
	return out
}

// A reply leaves Redis once its caller has read it, and a caller's reply
// stream goes at Close. Replies used to stay (up to 10,000 per caller, for
// 10 minutes): 150 calls of 1 MB grew used_memory from 2 MB to 451 MB.
func TestRepliesLeaveRedis(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	startHost(t, url, "replies")
	client := openClient(t, url, "replies")
	h, err := client.Register(context.Background(), "v", "value")
	if err != nil {
		t.Fatal(err)
	}
	bigCalls(t, h, 1) // the value itself now lives in the host
	before := rs.UsedMemory()
	const n = 10
	bigCalls(t, h, n)
	// The caller deletes each reply right after reading it; the last one
	// may be there a moment longer.
	waitFor(t, 10*time.Second, "reply stream emptied", func() bool {
		keys := replyKeys(rs, "replies")
		return len(keys) == 1 && rs.Client().XLen(context.Background(), keys[0]).Val() == 0
	})
	after := rs.UsedMemory()
	t.Logf("used_memory %d before and %d after %d calls moving 1 MiB each way", before, after, 2*n)
	if after-before > 4<<20 {
		t.Fatalf("used_memory grew by %d bytes over %d calls of 1 MiB: replies stay in Redis", after-before, 2*n)
	}
	client.Close()
	if keys := replyKeys(rs, "replies"); len(keys) != 0 {
		t.Fatalf("reply streams left after the caller closed: %v", keys)
	}
}

// The reply stream of a caller killed while it waited expires reply_ttl
// after the reply that its owner wrote to it (1 minute by default; 1 s
// here). It used to last 10 minutes.
func TestCrashedCallersReplyStreamExpires(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	g := serveGate(t, url+"?reply_ttl=1s", "crash")
	cmd := exec.Command(testhost.Binary(t), "call", "gate", "wait", "--timeout", "30s")
	cmd.Env = append(os.Environ(), "SANDHOST_REDIS="+url, "SANDHOST_NAMESPACE=crash")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-g.started
	cmd.Process.Kill()
	cmd.Wait()
	g.release <- struct{}{} // the owner replies to a caller that is gone
	waitFor(t, 10*time.Second, "the reply written", func() bool { return len(replyKeys(rs, "crash")) == 1 })
	took := waitFor(t, 10*time.Second, "the dead caller's reply stream to expire", func() bool { return len(replyKeys(rs, "crash")) == 0 })
	t.Logf("reply stream of the killed caller gone %v after its reply", took)
}

// The end state: after large calls, a reset and every host of a
// namespace killed, the namespace holds no key and used_memory is back near
// its start. A call through a handle taken before the kill is refused
// before its payload is written; the caller that notices the dead host
// reaps everything of it.
func TestNamespaceOfDeadHostsHoldsNoKeys(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	start := rs.UsedMemory()
	a := startHost(t, url, "gone")
	b := startHost(t, url, "gone")
	client := openClient(t, url, "gone")
	ctx := context.Background()
	for _, name := range []string{"v1", "v2"} {
		h, err := client.Register(ctx, name, "value")
		if err != nil {
			t.Fatal(err)
		}
		bigCalls(t, h, 5)
	}
	if err := client.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := client.Register(ctx, "v3", "value")
	if err != nil {
		t.Fatal(err)
	}
	bigCalls(t, h, 5)
	for _, p := range []*testhost.Proc{a, b} {
		p.Cmd.Process.Kill()
		p.Cmd.Wait()
	}
	// Nobody reaps until someone looks: wait for the heartbeats to expire.
	waitFor(t, 10*time.Second, "heartbeats expired", func() bool {
		for _, k := range rs.Keys("gone") {
			if strings.Contains(k, ":host:") && !strings.Contains(k, ":q:host:") {
				return false
			}
		}
		return true
	})
	if _, err := h.Call(ctx, "set", []byte(`"`+megabyte+`"`)); !errors.Is(err, registry.ErrHostGone) {
		t.Fatalf("call to a dead host's service: %v, want ErrHostGone", err)
	}
	for _, k := range rs.Keys("gone") {
		if !strings.Contains(k, ":reply:") {
			t.Errorf("key %s left after the dead hosts were noticed", k)
		}
	}
	client.Close()
	if keys := rs.Keys("gone"); len(keys) != 0 {
		t.Fatalf("keys left in a namespace with no host and no service: %v", keys)
	}
	end := rs.UsedMemory()
	t.Logf("used_memory %d at start, %d at the end", start, end)
	if end-start > 2<<20 {
		t.Fatalf("used_memory %d at the end, %d at the start", end, start)
	}
}

// A reset of an empty namespace leaves no generation key behind.
func TestResetOfEmptyNamespaceLeavesNoKey(t *testing.T) {
	rs := testredis.Start(t)
	mustCLI(t, rs.URL(), "empty", "reset")
	if keys := rs.Keys("empty"); len(keys) != 0 {
		t.Fatalf("keys after a reset of an empty namespace: %v", keys)
	}
}

// A surviving host reaps a dead one by itself, with nobody asking: its
// hosts entry, control queue, and services' entries and queues go within
// about a heartbeat TTL (3 s) and a reap period (1 s).
func TestSurvivorReapsDeadHost(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	a := startHost(t, url, "reap")
	b := startHost(t, url, "reap")
	mustCLI(t, url, "reap", "register", "s", "value")
	victim := a
	if specOf(t, url, "reap", "s").Owner == b.ID {
		victim = b
	}
	victim.Cmd.Process.Kill()
	victim.Cmd.Wait()
	rc := rs.Client()
	ctx := context.Background()
	took := waitFor(t, 6*time.Second, "the dead host reaped by the survivor", func() bool {
		for _, k := range rs.Keys("reap") {
			if strings.HasSuffix(k, victim.ID) || strings.HasSuffix(k, ":q:svc:s") {
				return false
			}
		}
		return !rc.SIsMember(ctx, "sandhost:{reap}:hosts", victim.ID).Val() && !rc.HExists(ctx, "sandhost:{reap}:owners", "s").Val()
	})
	t.Logf("dead host reaped %v after its kill", took)
}
