package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sandhost/sandhost/registry/driver"
)

// ErrNoDataStore is returned by the data methods ([Registry.PutBlob],
// [Registry.KVGet]…) when the registry's backend does not store data.
var ErrNoDataStore = errors.New("registry: backend stores no data")

// factoryEnv is what a factory finds in its context: the registry that
// constructs the service and the service's name.
type factoryEnv struct {
	r    *Registry
	name string
}

type factoryEnvKey struct{}

func withFactoryEnv(ctx context.Context, r *Registry, name string) context.Context {
	return context.WithValue(ctx, factoryEnvKey{}, factoryEnv{r: r, name: name})
}

// HostOf returns the registry that is constructing a service, from the
// context a [Factory] is given: a factory that needs the namespace (its
// data, its other services, the host's logger) keeps it. Nil outside a
// factory.
func HostOf(ctx context.Context) *Registry {
	e, _ := ctx.Value(factoryEnvKey{}).(factoryEnv)
	return e.r
}

// ServiceNameOf returns the name of the service a factory is constructing
// ("" outside a factory), for its errors and logs.
func ServiceNameOf(ctx context.Context) string {
	e, _ := ctx.Value(factoryEnvKey{}).(factoryEnv)
	return e.name
}

// Logger is the registry's logger, with the namespace and host ID.
func (r *Registry) Logger() *slog.Logger { return r.log }

func (r *Registry) data() (driver.DataStore, error) {
	ds, ok := r.be.(driver.DataStore)
	if !ok {
		return nil, fmt.Errorf("%w (%T)", ErrNoDataStore, r.be)
	}
	return ds, nil
}

// PutBlob stores data in the namespace once, under its sha256, and returns
// the sum (hex) any host uses to fetch it with [Registry.GetBlob].
func (r *Registry) PutBlob(ctx context.Context, data []byte) (string, error) {
	ds, err := r.data()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	return sum, ds.PutBlob(ctx, sum, data)
}

// GetBlob returns the blob stored under sum; ErrNotFound if there is none.
// The bytes are checked against the sum.
func (r *Registry) GetBlob(ctx context.Context, sum string) ([]byte, error) {
	ds, err := r.data()
	if err != nil {
		return nil, err
	}
	b, err := ds.GetBlob(ctx, sum)
	if err != nil {
		return nil, err
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
		return nil, fmt.Errorf("registry: blob %s: stored bytes do not match their sum", sum)
	}
	return b, nil
}

// KVGet returns the namespace's value of key; ErrNotFound if unset.
func (r *Registry) KVGet(ctx context.Context, key string) ([]byte, error) {
	ds, err := r.data()
	if err != nil {
		return nil, err
	}
	return ds.KVGet(ctx, key)
}

// KVSet sets the namespace's value of key, seen by every host.
func (r *Registry) KVSet(ctx context.Context, key string, value []byte) error {
	ds, err := r.data()
	if err != nil {
		return err
	}
	return ds.KVSet(ctx, key, value)
}

// KVDelete removes key; a missing key is not an error.
func (r *Registry) KVDelete(ctx context.Context, key string) error {
	ds, err := r.data()
	if err != nil {
		return err
	}
	return ds.KVDelete(ctx, key)
}
