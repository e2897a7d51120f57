package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	args := []any{h.ID, info, ttl.Milliseconds()}
	for _, sp := range owned {
		js, err := json.Marshal(sp)
		if err != nil {
			return nil, err
		}
		args = append(args, sp.Name, sp.Generation, js)
	}
	stop, err := b.run(ctx, b.live, beatScript, []string{b.keys.host(h.ID), b.keys.queue(driver.HostQueue(h.ID))}, args...).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis: heartbeat: %w", err)
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

func (b *backend) Leave(ctx context.Context, id string) error { return b.reap(ctx, id) }

func (b *backend) Reap(ctx context.Context) error { return b.reap(ctx) }

func (b *backend) reap(ctx context.Context, leave ...string) error {
	args := make([]any, len(leave))
	for i, id := range leave {
		args[i] = id
	}
	if err := b.run(ctx, b.live, reapScript, nil, args...).Err(); err != nil {
		return fmt.Errorf("redis: reap: %w", err)
	}
	return nil
}
