package redis

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver"
)

// A beat of a host with more services than one HMGET reads (beatChunk)
// keeps every queue's expiry set, puts back what the store lost with its
// queue, and tells the host to stop what another host took.
func TestBeatOfManyServices(t *testing.T) {
	rs := testredis.Start(t)
	ctx := context.Background()
	const ns, n, ttl = "many", 2*beatChunk + 17, time.Minute
	be, err := Driver{}.Open(ctx, rs.URL(), ns)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	host := driver.HostInfo{ID: "h"}
	if _, err := be.Beat(ctx, host, ttl, nil); err != nil {
		t.Fatal(err)
	}
	owned := make([]driver.Spec, n)
	for i := range owned {
		if owned[i], err = be.Claim(ctx, driver.Spec{Name: "svc-" + strconv.Itoa(i), Owner: host.ID}); err != nil {
			t.Fatal(err)
		}
	}
	k, c := keysOf(ns), rs.Client()
	queue := func(i int) string { return k.queue(driver.ServiceQueue(owned[i].Name)) }
	beat := func() []string {
		t.Helper()
		stop, err := be.Beat(ctx, host, ttl, owned)
		if err != nil {
			t.Fatal(err)
		}
		return stop
	}

	// The first beat that sends a service sets its queue's expiry.
	if stop := beat(); len(stop) > 0 {
		t.Fatalf("first beat: stop %v", stop)
	}
	keep := namespaceTTLs * ttl
	for i := range owned {
		if d := c.PTTL(ctx, queue(i)).Val(); d <= keep-time.Minute {
			t.Fatalf("queue %d expires in %v after the first beat, want about %v", i, d, keep)
		}
	}
	// Within queueRefreshBeats beats every expiry is pushed back.
	for i := range owned {
		c.PExpire(ctx, queue(i), time.Minute)
	}
	for range queueRefreshBeats {
		beat()
	}
	for i := range owned {
		if d := c.PTTL(ctx, queue(i)).Val(); d <= time.Minute {
			t.Fatalf("queue %d expires in %v after %d beats: not pushed back", i, d, queueRefreshBeats)
		}
	}

	// Lost (as after a restart of a Redis without persistence): one in
	// the first chunk, one in the last, with their queues.
	lost := []int{3, n - 1}
	for _, i := range lost {
		name := owned[i].Name
		c.HDel(ctx, k.prefix+keySpecs, name)
		c.HDel(ctx, k.prefix+keyOwners, name)
		c.HDel(ctx, k.prefix+keyGens, name)
		c.Del(ctx, queue(i))
	}
	// Taken: another host holds the name now.
	c.HSet(ctx, k.prefix+keyOwners, owned[beatChunk+1].Name, "other")
	stop := beat()
	if !slices.Equal(stop, []string{owned[beatChunk+1].Name}) {
		t.Fatalf("stop = %v, want the taken service only", stop)
	}
	for _, i := range lost {
		sp, err := be.Lookup(ctx, owned[i].Name)
		if err != nil || sp.Owner != host.ID {
			t.Fatalf("lost service %d after the beat: %+v, %v", i, sp, err)
		}
		if d := c.PTTL(ctx, queue(i)).Val(); d <= keep-time.Minute {
			t.Fatalf("put-back queue %d expires in %v, want about %v", i, d, keep)
		}
	}
}
