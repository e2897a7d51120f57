//go:build wasip1

// Package guest is the Go side of sandhost's host functions, for plugins
// built with GOOS=wasip1 and github.com/extism/go-pdk: structured logging
// into the host's log, the namespace's key-value store, calls to the
// namespace's other services, and native compute (similarity search and
// matrix products run by the host, on its GPU where it has one). The host
// side is plugins/wasm/hostfuncs.go and compute.go; the functions are in
// Extism's module "extism:host/user", named by the Func* constants there.
package guest

import (
	"errors"

	"github.com/extism/go-pdk"
)

//go:wasmimport extism:host/user sandhost_log
func hostLog(level, msg uint64)

//go:wasmimport extism:host/user sandhost_kv_get
func hostKVGet(key uint64) uint64

//go:wasmimport extism:host/user sandhost_kv_set
func hostKVSet(key, value uint64)

//go:wasmimport extism:host/user sandhost_call
func hostCall(service, method, payload uint64) uint64

//go:wasmimport extism:host/user sandhost_similarity
func hostSimilarity(request uint64) uint64

//go:wasmimport extism:host/user sandhost_matmul
func hostMatmul(request uint64) uint64

// Log levels of [Log], as the host's slog levels.
const (
	LevelDebug = -4
	LevelInfo  = 0
	LevelWarn  = 4
	LevelError = 8
)

// Log writes msg into the host's structured log at level, with the
// service's name attached by the host.
func Log(level int, msg string) {
	m := pdk.AllocateString(msg)
	defer m.Free()
	hostLog(uint64(int64(level)), m.Offset())
}

// KVGet returns the namespace's value of key and whether it is set.
func KVGet(key string) ([]byte, bool) {
	k := pdk.AllocateString(key)
	defer k.Free()
	off := hostKVGet(k.Offset())
	if off == 0 {
		return nil, false
	}
	v := pdk.FindMemory(off)
	defer v.Free()
	return v.ReadBytes(), true
}

// KVSet sets the namespace's value of key, seen by every host.
func KVSet(key string, value []byte) {
	k := pdk.AllocateString(key)
	defer k.Free()
	v := pdk.AllocateBytes(value)
	defer v.Free()
	hostKVSet(k.Offset(), v.Offset())
}

// Call calls a method of another service of the namespace under the
// caller's deadline and returns its reply.
func Call(service, method string, payload []byte) ([]byte, error) {
	s := pdk.AllocateString(service)
	defer s.Free()
	m := pdk.AllocateString(method)
	defer m.Free()
	p := pdk.AllocateBytes(payload)
	defer p.Free()
	return statusReply(hostCall(s.Offset(), m.Offset(), p.Offset()))
}

// Similarity runs a similarity search in the host: request is the JSON
// payload of the embedding service's "similarity" method with its corpus
// given ({"queries": M, "corpus": M, "top_k": 10, "metric": "cosine"}; a
// matrix M is an array of rows or, faster for large ones, {"rows": R,
// "cols": C, "f32": base64 of R·C little-endian float32}), and the reply
// its result ({"scores": [[...]], "indices": [[...]]}, best first).
func Similarity(request []byte) ([]byte, error) {
	r := pdk.AllocateBytes(request)
	defer r.Free()
	return statusReply(hostSimilarity(r.Offset()))
}

// Matmul computes a matrix product in the host: request is the JSON
// payload of the embedding service's "matmul" method ({"a": M, "b": M,
// "b_transposed": false}), and the reply the product as an array of rows.
func Matmul(request []byte) ([]byte, error) {
	r := pdk.AllocateBytes(request)
	defer r.Free()
	return statusReply(hostMatmul(r.Offset()))
}

// statusReply reads a reply whose first byte says ok (0, then the output)
// or error (1, then the message), and frees it.
func statusReply(off uint64) ([]byte, error) {
	r := pdk.FindMemory(off)
	defer r.Free()
	b := r.ReadBytes()
	if len(b) == 0 {
		return nil, errors.New("sandhost: empty reply from host")
	}
	if b[0] != 0 {
		return nil, errors.New(string(b[1:]))
	}
	return b[1:], nil
}
