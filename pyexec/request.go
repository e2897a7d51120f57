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
	// Fresh runs the code in a clean interpreter, discarded after. Neither
	// Session nor Fresh: the shared interpreters (TorchRL's service mode).
	Fresh bool `json:"fresh,omitempty"`
	// Timeout is this call's deadline (default: the pool's Timeout).
	Timeout time.Duration `json:"timeout,omitempty"`
	// Memory caps the interpreter's memory for this call, in bytes, below
	// the pool's MemoryLimit. A call that needs more gets MemoryError
	// (failure "memory") and its interpreter is replaced.
	Memory int64 `json:"memory,omitempty"`
	// Files are placed in the interpreter's /tmp before the code runs
	// (names relative to /tmp; subdirectories are made).
	Files map[string][]byte `json:"files,omitempty"`
	// OutputFiles are read back from /tmp into Result.Files after the
	// call, each up to the pool's FileCap.
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

// WithTimeout sets Request.Timeout, overriding the pool's default.
func WithTimeout(d time.Duration) ExecOption { return func(r *Request) { r.Timeout = d } }
