package memory

import (
	"context"
	"fmt"

	"github.com/sandhost/sandhost/registry/driver"
)

var _ driver.DataStore = (*backend)(nil)

// PutBlob implements driver.DataStore.
func (b *backend) PutBlob(_ context.Context, sum string, data []byte) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[sum]; !ok {
		if s.blobs == nil {
			s.blobs = map[string][]byte{}
		}
		s.blobs[sum] = append([]byte(nil), data...)
	}
	return nil
}

// GetBlob implements driver.DataStore.
func (b *backend) GetBlob(_ context.Context, sum string) ([]byte, error) {
	return b.s.get(func(s *store) map[string][]byte { return s.blobs }, "blob", sum)
}

// KVGet implements driver.DataStore.
func (b *backend) KVGet(_ context.Context, key string) ([]byte, error) {
	return b.s.get(func(s *store) map[string][]byte { return s.kv }, "key", key)
}

// KVSet implements driver.DataStore.
func (b *backend) KVSet(_ context.Context, key string, value []byte) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv == nil {
		s.kv = map[string][]byte{}
	}
	s.kv[key] = append([]byte(nil), value...)
	return nil
}

// KVDelete implements driver.DataStore.
func (b *backend) KVDelete(_ context.Context, key string) error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.kv, key)
	return nil
}

// get reads the map which picks, under the lock, and returns a copy
// (callers may keep it).
func (s *store) get(which func(*store) map[string][]byte, kind, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := which(s)[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s %q", driver.ErrNotFound, kind, key)
	}
	return append([]byte(nil), v...), nil
}
