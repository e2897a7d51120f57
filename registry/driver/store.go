package driver

import "context"

// DataStore is an optional Backend capability, found by type assertion like
// database/sql/driver's optional interfaces: the namespace's data that is
// not a service. Blobs are content-addressed (a Wasm module stored once
// under its sha256, fetched by every host it is placed on); the key-value
// map holds small values services share across hosts (a plugin's counter).
// Both outlive the services that wrote them and are removed by Reset.
type DataStore interface {
	// PutBlob stores data under sum, the hex sha256 of data. Storing the
	// same blob again is a no-op.
	PutBlob(ctx context.Context, sum string, data []byte) error
	// GetBlob returns the blob stored under sum, or ErrNotFound.
	GetBlob(ctx context.Context, sum string) ([]byte, error)
	// KVGet returns the value of key, or ErrNotFound.
	KVGet(ctx context.Context, key string) ([]byte, error)
	// KVSet sets key to value.
	KVSet(ctx context.Context, key string, value []byte) error
	// KVDelete removes key; a missing key is not an error.
	KVDelete(ctx context.Context, key string) error
}
