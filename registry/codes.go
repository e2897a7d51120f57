package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sandhost/sandhost/registry/driver"
)

// errorCodes is the one table between errors and the codes a reply carries
// across the store: encoding reads it from the error to the code, decoding
// from the code back to the sentinel. An error that matches no row is the
// service's own (codeFailed) and comes back as a *ServiceError.
var errorCodes = []struct {
	code string
	err  error
	// call: the error is about a call, and its text says which
	// ("call NAME.METHOD: …"); otherwise (a placement) it stands alone.
	call bool
}{
	{"deadline", ErrDeadlineExceeded, true},
	{"not_found", ErrNotFound, true},
	{"host_gone", ErrHostGone, true},
	{"method", ErrUnknownMethod, true},
	{"invalid", ErrInvalid, true},
	// Not "lost": the redis backend's sweeper marks a vanished request
	// with that code, and a service's own ErrLost is not one of those.
	{"call_lost", ErrLost, true},
	{"closed", ErrClosed, true},
	{"exists", ErrExists, false},
	{"factory", ErrUnknownFactory, false},
	{"capacity", ErrNoCapacity, false},
}

// codeFailed marks an error of the service's own code.
const codeFailed = "failed"

// extraCodes are the rows RegisterErrorCode added, tried before errorCodes.
var (
	extraCodesMu sync.RWMutex
	extraCodes   []extraCode
)

type extraCode struct {
	code      string
	sentinels []error
}

// RegisterErrorCode makes an error that matches every one of sentinels
// cross hosts as code: the caller's error matches them all with errors.Is
// and keeps the text the serving side wrote, as the registry's own errors
// do. It is for packages whose services fail in classes a caller tests for
// (plugins/wasm: ErrTrap, ErrTimeout, ErrMemory) and is called from their
// init, so both sides have it; a process without it decodes the code as a
// *ServiceError. Codes are tried in the order registered, before the
// registry's own: register the row with the most sentinels first. It
// panics on a code already used or on no sentinel.
func RegisterErrorCode(code string, sentinels ...error) {
	extraCodesMu.Lock()
	defer extraCodesMu.Unlock()
	if len(sentinels) == 0 {
		panic("registry: RegisterErrorCode with no sentinel for " + code)
	}
	used := code == codeFailed
	for _, row := range errorCodes {
		used = used || row.code == code
	}
	for _, row := range extraCodes {
		used = used || row.code == code
	}
	if used {
		panic("registry: RegisterErrorCode called twice for " + code)
	}
	extraCodes = append(extraCodes, extraCode{code: code, sentinels: sentinels})
}

// matchesAll reports whether err matches every sentinel.
func matchesAll(err error, sentinels []error) bool {
	for _, s := range sentinels {
		if !errors.Is(err, s) {
			return false
		}
	}
	return true
}

// extraCodeOf is the registered code err matches, or "".
func extraCodeOf(err error) string {
	extraCodesMu.RLock()
	defer extraCodesMu.RUnlock()
	for _, row := range extraCodes {
		if matchesAll(err, row.sentinels) {
			return row.code
		}
	}
	return ""
}

// extraSentinels are the sentinels of a registered code, or nil.
func extraSentinels(code string) []error {
	extraCodesMu.RLock()
	defer extraCodesMu.RUnlock()
	for _, row := range extraCodes {
		if row.code == code {
			return row.sentinels
		}
	}
	return nil
}

// codeOf is the code of err ("" for nil).
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	if code := extraCodeOf(err); code != "" {
		return code
	}
	for _, row := range errorCodes {
		if errors.Is(err, row.err) {
			return row.code
		}
	}
	return codeFailed
}

// encodeResult is the reply to a request: the output, or the error's code
// and text.
func encodeResult(id string, out []byte, err error) driver.Response {
	if err != nil {
		return driver.Response{ID: id, Code: codeOf(err), Message: err.Error()}
	}
	return driver.Response{ID: id, Payload: out}
}

// responseError turns a reply's code back into an error that matches its
// sentinel with errors.Is, keeping the text the other side wrote.
func responseError(resp driver.Response, service, method string) error {
	if resp.Code == "" {
		return nil
	}
	if sentinels := extraSentinels(resp.Code); sentinels != nil {
		return fmt.Errorf("call %s.%s: %w", service, method, &codedError{sentinels: sentinels, msg: resp.Message})
	}
	for _, row := range errorCodes {
		if row.code == resp.Code {
			err := &codedError{sentinels: []error{row.err}, msg: resp.Message}
			if row.call {
				return fmt.Errorf("call %s.%s: %w", service, method, err)
			}
			return err
		}
	}
	return &ServiceError{Service: service, Method: method, Message: resp.Message}
}

// callError is what an in-process call returns for err: the same as a call
// through the store would (a sentinel with its call, or a *ServiceError).
func callError(service, method string, err error) error {
	if codeOf(err) == codeFailed && !errors.Is(err, context.Canceled) {
		return &ServiceError{Service: service, Method: method, Message: err.Error()}
	}
	return fmt.Errorf("call %s.%s: %w", service, method, err)
}

// codedError is an error decoded from a reply: its text is the text the
// other side wrote, which names the sentinel already (so it is not said
// twice, as in "service already exists: service already exists"). It
// matches each of its sentinels; the first names it.
type codedError struct {
	sentinels []error
	msg       string
}

func (e *codedError) Error() string {
	if strings.Contains(e.msg, e.sentinels[0].Error()) {
		return e.msg
	}
	return e.sentinels[0].Error() + ": " + e.msg
}

func (e *codedError) Unwrap() []error { return e.sentinels }
