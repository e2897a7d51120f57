package wasm

import (
	"errors"
	"fmt"
)

// Reasons a call failed in the plugin's machine rather than in its code;
// the instance is discarded and replaced.
var (
	// ErrTrap: the guest trapped (a panic, unreachable, an out-of-bounds
	// access) or exited.
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
