package pyexec

import "time"

// Request is one execution: the code and the settings of this call. A zero
// setting means the pool's default. It is the one per-call type: Pool.Run
// takes it, the ExecOptions of Pool.Execute fill it in, and its JSON form
// (see wire.go) is the payload of the executor service's "execute" method.
type Request struct {
	Code string `json:"code"`
	// Session runs the code in the session's own interpreter, which keeps
	// its state across calls (created on first use).
	Session string `json:"session,omitempty"`
	// Fresh runs the code in a clean interpreter, discarded after.
	Fresh bool `json:"fresh,omitempty"`
	// Shared runs the code in the shared interpreters' persistent __main__
	// (TorchRL's service mode): what a call defines, imports or overrides
	// stays for later calls (per interpreter when, with Size > 1, calls
	// run at once). None of Session, Fresh and Shared:
	// the default, isolated model: each call runs in a new __main__ of a
	// pooled interpreter, which is replaced after a call that changed what
	// the next call would see (builtins, modules, classes, sys.path, ...),
	// so results are those of a fresh interpreter at about the cost of a
	// shared one, for code that does not set out to hide a change (the
	// README lists what is checked; Fresh is the boundary for code that may).
	Shared bool `json:"shared,omitempty"`
	// Timeout is this call's deadline (default: the pool's Timeout),
	// counted from when it starts running: time spent waiting for a free
	// interpreter is not the code's (see Result.Queued).
	Timeout time.Duration `json:"timeout,omitempty"`
	// TimeoutCoversQueue counts Timeout from the call instead, the wait for
	// an interpreter included; a call whose deadline passes while it waits
	// returns with failure "queued". The caller's context bounds both
	// either way.
	TimeoutCoversQueue bool `json:"timeout_covers_queue,omitempty"`
	// Memory caps the interpreter's memory for this call, in bytes, below
	// the pool's MemoryLimit. A call that needs more gets MemoryError
	// (failure "memory") and its interpreter is replaced. Memory never
	// shrinks, so a call whose interpreter an earlier call grew past the
	// limit runs in a clean one instead (the shared model's state is then
	// gone, as after a timeout); a session's call is not run (failure
	// "memory", the session kept). Below what a fresh interpreter holds
	// (about 20 MiB without Preload), the limit only stops growth.
	Memory int64 `json:"memory,omitempty"`
	// Files are placed in the interpreter's /tmp before the code runs
	// (names relative to /tmp; subdirectories are made).
	Files map[string][]byte `json:"files,omitempty"`
	// OutputFiles are read back from /tmp into Result.Files after the
	// call, each up to the pool's FileCap; one that exists but is larger
	// or not a regular file is named on Result.Stderr instead (and Success
	// is false). A name outside /tmp fails the call before the code runs.
	OutputFiles []string `json:"output_files,omitempty"`
	// Reset drops Session's state and runs nothing.
	Reset bool `json:"reset,omitempty"`
}

// ExecOption sets one field of a call's Request (see Pool.Execute).
type ExecOption func(*Request)

// WithMemoryLimit sets Request.Memory: the interpreter's memory cap for
// this call, in bytes.
func WithMemoryLimit(bytes int64) ExecOption { return func(r *Request) { r.Memory = bytes } }

// WithFiles sets Request.Files: files placed in /tmp before the code runs.
func WithFiles(files map[string][]byte) ExecOption { return func(r *Request) { r.Files = files } }

// WithOutputFiles adds to Request.OutputFiles: files of /tmp returned in
// Result.Files.
func WithOutputFiles(names ...string) ExecOption {
	return func(r *Request) { r.OutputFiles = append(r.OutputFiles, names...) }
}

// InSession sets Request.Session: the code runs in the session's own
// interpreter, which keeps its state across calls.
func InSession(id string) ExecOption { return func(r *Request) { r.Session = id } }

// Fresh sets Request.Fresh: the code runs in a clean interpreter,
// discarded after.
func Fresh() ExecOption { return func(r *Request) { r.Fresh = true } }

// Shared sets Request.Shared: the code runs in the shared interpreters'
// persistent __main__ (TorchRL's service mode). Calls one after the other
// see each other's state; with Size > 1, calls that run at once take
// different interpreters, and state is then per interpreter (as in
// TorchRL's service mode with several workers).
func Shared() ExecOption { return func(r *Request) { r.Shared = true } }

// TimeoutCoversQueue sets Request.TimeoutCoversQueue: the timeout counts
// the wait for an interpreter too.
func TimeoutCoversQueue() ExecOption { return func(r *Request) { r.TimeoutCoversQueue = true } }

// WithTimeout sets Request.Timeout, overriding the pool's default.
func WithTimeout(d time.Duration) ExecOption { return func(r *Request) { r.Timeout = d } }
