// Package pyexec runs Python code in a pool of CPython interpreters compiled
// to wasm32-wasi, each in its own sandbox: no host files but read-only
// mounts, no network, no subprocesses, a memory limit, and a deadline that
// stops even a loop inside C.
//
// Interpreters are started before the first call; an interpreter that times
// out, exhausts its memory, exits or breaks is discarded and replaced by a
// clone of a freshly started one, so the pool never shrinks and no later
// call sees its state. Three state models are chosen per call: shared (the
// default, TorchRL's service mode), session (a session ID keeps its own
// interpreter) and fresh (a clean interpreter for one call).
//
// The files follow the concepts: pool.go (the Pool, its start and Close),
// options.go and request.go (a pool's and a call's settings; wire.go their
// JSON form), result.go
// (results and how an outcome is classified), snapshot.go (the cold start
// and the snapshot every interpreter is cloned from), clone.go (clones and
// spares), shared.go, session.go and fresh.go (the three state models),
// run.go (one call on one interpreter), files.go (/tmp files in and out),
// interp.go and protocol.go (the interpreter and the host↔harness
// protocol), service.go (the python_executor service) and interpreter.go
// (TorchRL's PythonInterpreter).
package pyexec
