package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/registry/driver"
)

var _ driver.DataStore = (*backend)(nil)

// orphanDataTTL is how long data written where no host beats stays: the
// beats of live hosts push its expiry back as they do the namespace's other
// keys, and without them nobody would read it again (a module stored for a
// registration that found no host, say). 30 s: namespaceTTLs of the default
// 3 s heartbeat TTL.
const orphanDataTTL = namespaceTTLs * 3 * time.Second

// PutBlob implements driver.DataStore: HSETNX, so a blob is written once.
func (b *backend) PutBlob(ctx context.Context, sum string, data []byte) error {
	return b.writeData(ctx, "put blob "+sum, b.keys.blobs(), "HSETNX", sum, data)
}

// GetBlob implements driver.DataStore.
func (b *backend) GetBlob(ctx context.Context, sum string) ([]byte, error) {
	return b.get(ctx, b.keys.blobs(), "blob", sum)
}

// KVGet implements driver.DataStore.
func (b *backend) KVGet(ctx context.Context, key string) ([]byte, error) {
	return b.get(ctx, b.keys.kv(), "key", key)
}

// KVSet implements driver.DataStore.
func (b *backend) KVSet(ctx context.Context, key string, value []byte) error {
	return b.writeData(ctx, "set key "+key, b.keys.kv(), "HSET", key, value)
}

// writeData writes field of hash with cmd (HSET or HSETNX), giving the hash
// an expiry if it has none (writeDataScript); run counts it as under way.
func (b *backend) writeData(ctx context.Context, what, hash, cmd, field string, value []byte) error {
	err := b.run(ctx, b.cmds, writeDataScript, []string{hash}, cmd, field, value, orphanDataTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("redis: %s: %w", what, err)
	}
	return nil
}

// KVDelete implements driver.DataStore.
func (b *backend) KVDelete(ctx context.Context, key string) error {
	return b.do(ctx, "delete key "+key, func() error { return b.cmds.HDel(ctx, b.keys.kv(), key).Err() })
}

// do runs one command under way (so Close waits for it).
func (b *backend) do(ctx context.Context, what string, fn func() error) error {
	if err := b.begin(); err != nil {
		return err
	}
	defer b.end()
	if err := fn(); err != nil {
		return fmt.Errorf("redis: %s: %w", what, err)
	}
	return nil
}

func (b *backend) get(ctx context.Context, hash, kind, field string) ([]byte, error) {
	var out []byte
	err := b.do(ctx, "get "+kind+" "+field, func() error {
		v, err := b.cmds.HGet(ctx, hash, field).Bytes()
		out = v
		return err
	})
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("%w: %s %q", driver.ErrNotFound, kind, field)
	}
	return out, err
}
