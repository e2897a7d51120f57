package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

// Beat runs on the liveness client: it never waits behind blocking reads or
// a busy command pool (2,000 services on one host starved it).
func (b *backend) Beat(ctx context.Context, h driver.HostInfo, ttl time.Duration, owned []driver.Spec) ([]string, error) {
	info, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	b.beatMu.Lock()
	defer b.beatMu.Unlock()
	// The turn moves on successful beats only: beats that fail must not
	// skip a name's renewal while the host's other beats keep it alive.
	turn := b.beats % queueRefreshBeats
	// A read found a queue gone (Receive): renew, so recreate, them all.
	all := b.queueGone.Swap(false)
	seen := make(map[string]struct{}, len(owned))
	args := []any{h.ID, info, ttl.Milliseconds()}
	for _, sp := range owned {
		_, before := b.beaten[sp.Name]
		refresh := "0"
		if all || !before || refreshTurn(sp.Name) == turn {
			refresh = "1"
		}
		args = append(args, sp.Name, sp.Generation, refresh)
		seen[sp.Name] = struct{}{}
	}
	res, err := b.run(ctx, b.live, beatScript, []string{b.keys.host(h.ID), b.keys.queue(driver.HostQueue(h.ID))}, args...).Slice()
	if err != nil {
		if all {
			b.queueGone.Store(true)
		}
		return nil, fmt.Errorf("redis: heartbeat: %w", err)
	}
	stop, lost, err := twoLists(res)
	if err != nil {
		return nil, fmt.Errorf("redis: heartbeat: %w", err)
	}
	b.beats++
	b.beaten = seen
	if len(lost) == 0 {
		return stop, nil
	}
	more, err := b.restore(ctx, h.ID, ttl, owned, lost)
	if err != nil {
		return nil, err
	}
	return append(stop, more...), nil
}

// queueRefreshBeats: a service's queue has its expiry (namespaceTTLs TTLs)
// pushed back on the first beat that sends it and then on one successful
// beat in this many, chosen by its name, so that a beat of many services
// touches a tenth of their queues, not all. Beats come three a TTL: a
// renewal every 3.3 TTLs. A live host beats successfully at least once a
// TTL, so even then a queue is renewed within its expiry, at the edge. One
// that expires all the same (a host paused) is recreated when it is next
// renewed, and at once when the host's read from it fails (Receive).
const queueRefreshBeats = namespaceTTLs

// beatChunk is how many owners a beat reads per HMGET: Lua's unpack has a
// stack limit (8,000 in Redis).
const beatChunk = 1000

// refreshTurn is the beat, modulo queueRefreshBeats, on which name's queue
// has its expiry pushed back.
func refreshTurn(name string) uint64 {
	f := fnv.New32a()
	f.Write([]byte(name))
	return uint64(f.Sum32()) % queueRefreshBeats
}

// twoLists reads a script's reply of two lists of names.
func twoLists(res []any) (a, b []string, err error) {
	if len(res) != 2 {
		return nil, nil, fmt.Errorf("unexpected reply %v", res)
	}
	lists := [2][]string{}
	for i, r := range res {
		items, ok := r.([]any)
		if !ok {
			return nil, nil, fmt.Errorf("unexpected reply %v", res)
		}
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, nil, fmt.Errorf("unexpected reply %v", res)
			}
			lists[i] = append(lists[i], s)
		}
	}
	return lists[0], lists[1], nil
}

// restore puts back the specs of owned services named in lost, which the
// store no longer holds, and returns those the host must stop.
func (b *backend) restore(ctx context.Context, id string, ttl time.Duration, owned []driver.Spec, lost []string) ([]string, error) {
	want := make(map[string]bool, len(lost))
	for _, name := range lost {
		want[name] = true
	}
	args := []any{id, ttl.Milliseconds()}
	for _, sp := range owned {
		if !want[sp.Name] {
			continue
		}
		js, err := json.Marshal(sp)
		if err != nil {
			return nil, err
		}
		args = append(args, sp.Name, sp.Generation, js)
	}
	stop, err := b.run(ctx, b.live, restoreScript, nil, args...).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: heartbeat: put back %d services: %w", len(lost), err)
	}
	return stop, nil
}

func (b *backend) Hosts(ctx context.Context) ([]driver.HostInfo, error) {
	vals, err := b.run(ctx, b.cmds, hostsScript, nil).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: hosts: %w", err)
	}
	out := make([]driver.HostInfo, 0, len(vals))
	for _, v := range vals {
		var h driver.HostInfo
		if json.Unmarshal([]byte(v), &h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

func (b *backend) HostAlive(ctx context.Context, id string) (bool, error) {
	if err := b.begin(); err != nil {
		return false, err
	}
	defer b.end()
	n, err := b.cmds.Exists(ctx, b.keys.host(id)).Result()
	if err != nil {
		return false, fmt.Errorf("redis: host alive: %w", err)
	}
	return n == 1, nil
}

func (b *backend) Leave(ctx context.Context, id string) error { return b.reap(ctx, "full", id) }

// orphanScanReaps: one periodic reap in this many scans every service for
// orphans (see Reap).
const orphanScanReaps = 10

// Reap runs after each beat: every host reaps, so dead hosts' services go
// within about a TTL. The scan of every service for orphans (an owner
// already gone from the hosts set) runs on one reap in orphanScanReaps
// and whenever a host is found dead: at 10,000 services it is most of a
// reap's cost (15 ms embedded, 4 ms on redis-server), and an orphan is
// already invisible to lookups, which check the owner.
func (b *backend) Reap(ctx context.Context) error {
	mode := "quick"
	if b.reaps.Add(1)%orphanScanReaps == 1 {
		mode = "full"
	}
	return b.reap(ctx, mode, "")
}

func (b *backend) reap(ctx context.Context, mode, leaving string) error {
	if err := b.run(ctx, b.live, reapScript, nil, mode, leaving).Err(); err != nil {
		return fmt.Errorf("redis: reap: %w", err)
	}
	return nil
}
