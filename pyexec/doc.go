// Package pyexec runs Python code in a pool of CPython interpreters compiled
// to wasm32-wasi, each in its own sandbox: no host files but read-only
// mounts, no network, no subprocesses, a memory limit, and a deadline that
// stops even a loop inside C.
//
// Interpreters are started before the first call; an interpreter that times
// out, exhausts its memory, exits or breaks is discarded and replaced by a
// clone of a freshly started one, so the pool never shrinks and no later
// call sees its state. Four state models are chosen per call: isolated
// (the default: a new __main__ per call in a pooled interpreter, replaced
// when the call changed what a later one would see), shared (TorchRL's
// service mode: one persistent __main__), session (a session ID keeps its
// own interpreter) and fresh (a clean interpreter for one call). In every
// model at most Size interpreters run at once in the pool's run slots; a
// call in the isolated model that has used Options.YieldAfter of CPU (a
// loop, a heavy answer) drops to the lowest priority and stands aside
// from its slot for the next call until its deadline (at most Size at
// once). A call's timeout counts from when it starts running (its wait
// for a slot and an interpreter is Result.Queued). A guest that has run
// 5 ms while the cores are busy goes five nice levels below the host's
// threads (nice 5 for a host at 0), so that the host returns calls at
// their deadlines and serves its other work first however many guests run.
// While the garbage collector marks, calls standing aside run at the
// guests' priority, not the lowest, since the collector waits for every
// guest's stack. So that each running interpreter
// notices its deadline promptly, NewPool raises GOMAXPROCS to the CPUs
// plus 1.5 times the guests that may run (twice Size) unless the
// GOMAXPROCS environment variable is set. Result.Passed is the verdict to score
// by (Success is TorchRL's, which a warning on stderr fails). Code may
// call services of the namespace only where the pool allows them
// (AllowServices), each call under the code's own deadline.
//
// The files follow the concepts: pool.go (the Pool, its start and Close),
// options.go and request.go (a pool's and a call's settings; wire.go their
// JSON form), result.go
// (results and how an outcome is classified), snapshot.go (the cold start
// and the snapshot every interpreter is cloned from), clone.go (clones and
// spares), admit.go (run slots: queued and running), yield.go (guests'
// threads and their priority: long calls yield the cores and stand aside),
// collect.go (whether the garbage collector marks), detach.go (a call returns at its
// deadline), threads.go (GOMAXPROCS), queue.go (first come,
// first served), shared.go (the pooled models: isolated and shared),
// session.go and fresh.go,
// run.go (one call on one interpreter), files.go (/tmp files in and out),
// interp.go and protocol.go (the interpreter and the host↔harness
// protocol), bridge.go (the services the code may call: Options.Services,
// AllowServices, `import sandhost`), service.go (the python_executor
// service) and interpreter.go (TorchRL's PythonInterpreter).
package pyexec
