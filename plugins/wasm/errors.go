package wasm

import (
	"errors"
	"fmt"

	"github.com/sandhost/sandhost/registry"
)

// Reasons a call failed in the plugin's machine rather than in its code;
// the instance is discarded and replaced.
var (
	// ErrTrap: the guest trapped (a panic, unreachable, an out-of-bounds
	// access) or exited with a status other than 0.
	ErrTrap = errors.New("wasm: plugin trapped")
	// ErrTimeout: the call ran past the plugin's timeout or the caller's
	// context ended (deadline or cancel: errors.Is tells which); the guest
	// was stopped where it was, host functions too.
	ErrTimeout = errors.New("wasm: plugin timed out")
	// ErrMemory: the guest needed more memory than its limit.
	ErrMemory = errors.New("wasm: plugin exceeded its memory limit")
	// ErrClosed: the service was closed.
	ErrClosed = errors.New("wasm: plugin closed")
)

// The reasons cross hosts: a caller on another host gets an error that
// errors.Is matches against the same sentinels (its text is the serving
// host's; errors.As finds no *CallError there).
func init() {
	// A timeout that a deadline ended is also the registry's deadline, as in
	// process: that row goes first, being the more specific.
	registry.RegisterErrorCode("wasm_timeout_deadline", ErrTimeout, registry.ErrDeadlineExceeded)
	registry.RegisterErrorCode("wasm_timeout", ErrTimeout)
	registry.RegisterErrorCode("wasm_trap", ErrTrap)
	registry.RegisterErrorCode("wasm_memory", ErrMemory)
}

// CallError is the error of a failed plugin call. Reason is ErrTrap,
// ErrTimeout or ErrMemory when the guest's machine failed, nil when the
// guest reported an error itself (Extism's SetError): then Err is its
// message and the instance is kept.
type CallError struct {
	Plugin   string // the service's name
	Function string
	Reason   error
	Err      error
}

func (e *CallError) Error() string {
	if e.Reason == nil {
		return fmt.Sprintf("wasm plugin %q function %q: %v", e.Plugin, e.Function, e.Err)
	}
	return fmt.Sprintf("wasm plugin %q function %q: %v: %v", e.Plugin, e.Function, e.Reason, e.Err)
}

// Unwrap gives the reason and the cause to errors.Is and errors.As.
func (e *CallError) Unwrap() []error {
	if e.Reason == nil {
		return []error{e.Err}
	}
	return []error{e.Reason, e.Err}
}
