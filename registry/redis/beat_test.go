package redis

import (
	"context"
	"errors"
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
	// Within queueRefreshBeats successful beats every expiry is pushed
	// back, whatever beats failed between them.
	for i := range owned {
		c.PExpire(ctx, queue(i), time.Minute)
	}
	failed, cancel := context.WithCancel(ctx)
	cancel()
	for range queueRefreshBeats {
		if _, err := be.Beat(failed, host, ttl, owned); err == nil {
			t.Fatal("a beat with a cancelled context succeeded")
		}
		beat()
	}
	for i := range owned {
		if d := c.PTTL(ctx, queue(i)).Val(); d <= time.Minute {
			t.Fatalf("queue %d expires in %v after %d beats: not pushed back", i, d, queueRefreshBeats)
		}
	}

	// A queue lost while its entry stayed (it expired first) is back with
	// its consumer group and an expiry: once it is renewed, or after the
	// next beat when the host's read from it found it gone.
	back := func(i int, when string) {
		t.Helper()
		if d := c.PTTL(ctx, queue(i)).Val(); d <= keep-time.Minute {
			t.Fatalf("lost queue %d expires in %v %s (-2ns: no queue), want about %v", i, d, when, keep)
		}
		if groups, err := c.XInfoGroups(ctx, queue(i)).Result(); err != nil || len(groups) != 1 {
			t.Fatalf("lost queue %d's consumer groups %s: %v, %v", i, when, groups, err)
		}
	}
	c.Del(ctx, queue(beatChunk+5))
	for range queueRefreshBeats {
		beat()
	}
	back(beatChunk+5, "after its renewal's turn")
	c.Del(ctx, queue(beatChunk+6))
	if _, err := be.Receive(ctx, driver.ServiceQueue(owned[beatChunk+6].Name), host.ID, 1, 0); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Receive from a lost queue: %v, want ErrNotFound", err)
	}
	beat()
	back(beatChunk+6, "after a read found it gone and a beat")

	// A name released and claimed again between two beats, which the
	// next beat takes for one it renewed already, has an expiry at once.
	if err := be.Release(ctx, owned[7].Name, host.ID); err != nil {
		t.Fatal(err)
	}
	if owned[7], err = be.Claim(ctx, driver.Spec{Name: owned[7].Name, Owner: host.ID}); err != nil {
		t.Fatal(err)
	}
	if d := c.PTTL(ctx, queue(7)).Val(); d <= 0 {
		t.Fatalf("queue claimed again expires in %v, want an expiry", d)
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
