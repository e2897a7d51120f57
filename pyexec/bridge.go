package pyexec

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/sandbox"
)

// Caller calls a method of a service of the namespace: what sandboxed code
// reaches through `import sandhost`. The python_executor service calls
// through its registry; tests give a fake.
type Caller interface {
	Call(ctx context.Context, service, method string, args []byte) ([]byte, error)
}

// CallerFunc makes a function a Caller.
type CallerFunc func(ctx context.Context, service, method string, args []byte) ([]byte, error)

// Call calls f.
func (f CallerFunc) Call(ctx context.Context, service, method string, args []byte) ([]byte, error) {
	return f(ctx, service, method, args)
}

// Services are the services a pool's code may call, and the Caller that
// reaches them (AllowServices).
type Services struct {
	caller  Caller
	allowed []string // sorted
}

// AllowServices lets a pool's Python code call the named services through
// caller (Options.Services):
//
//	import sandhost
//	ids = sandhost.call("tokenizer", "encode", "hi")  # args: any JSON value
//
// The arguments go as JSON and the result comes back decoded (bytes when
// the service answers with something that is not JSON). Each call runs under
// the Python call's deadline, which stops the code even while it waits for
// a service, and sandhost.call(..., timeout=seconds) bounds one call
// further. Failures raise sandhost.ServiceError, whose subclasses
// ServiceRefused (a service not named here: the request never leaves the
// sandbox), ServiceNotFound, ServiceFailed (the service's own error) and
// ServiceTimeout say why; each names the service, the method and the reason.
// Without Services, `import sandhost` raises ModuleNotFoundError.
func AllowServices(caller Caller, services ...string) *Services {
	allowed := slices.Clone(services)
	slices.Sort(allowed)
	return &Services{caller: caller, allowed: slices.Compact(allowed)}
}

// Allowed lists the services the code may call, sorted.
func (s *Services) Allowed() []string { return slices.Clone(s.allowed) }

// bridge is the pool's sandbox.Bridge: nil when the code may call nothing,
// so that interpreters then have no /dev/sandhost and no sandhost module.
func (s *Services) bridge() sandbox.Bridge {
	if s == nil {
		return nil
	}
	return s.answer
}

// bridgeCall is one request of the guest (the layout is in protocol.go).
type bridgeCall struct {
	service, method string
	timeout         time.Duration
	args            []byte
}

func parseCall(b []byte) (bridgeCall, error) {
	var c bridgeCall
	if len(b) < 16 {
		return c, errors.New("short request")
	}
	ns, nm := uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[4:]))
	c.timeout = time.Duration(int64(binary.LittleEndian.Uint64(b[8:])))
	rest := b[16:]
	if ns+nm > uint64(len(rest)) {
		return c, errors.New("bad name lengths")
	}
	// A copy: b is the guest's memory, valid only while the guest waits in
	// its write (sandbox.Bridge), and the Caller may outlive that (answer).
	c.service, c.method, c.args = string(rest[:ns]), string(rest[ns:ns+nm]), bytes.Clone(rest[ns+nm:])
	return c, nil
}

// answer serves one request; it returns when ctx ends even if the Caller
// does not, as the sandbox wants (the guest is then stopped).
func (s *Services) answer(ctx context.Context, req []byte) []byte {
	c, err := parseCall(req)
	if err != nil {
		return answerFrame(answerFailed, []byte("bad request: "+err.Error()))
	}
	if _, ok := slices.BinarySearch(s.allowed, c.service); !ok {
		return answerFrame(answerRefused, []byte(fmt.Sprintf("not allowed (this pool's code may call %s)", s.allowedList())))
	}
	if s.caller == nil {
		return answerFrame(answerFailed, []byte("the pool has no Caller (AllowServices)"))
	}
	if !json.Valid(c.args) {
		return answerFrame(answerFailed, []byte("the arguments are not JSON"))
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.timeout, fmt.Errorf("%w: the call's timeout of %v", context.DeadlineExceeded, c.timeout))
		defer cancel()
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := s.caller.Call(ctx, c.service, c.method, c.args)
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		r.err = context.Cause(ctx)
	}
	switch {
	case r.err == nil && json.Valid(r.out):
		return answerFrame(answerOK, r.out)
	case r.err == nil:
		return answerFrame(answerRaw, r.out)
	case errors.Is(r.err, context.DeadlineExceeded):
		return answerFrame(answerTimeout, []byte(r.err.Error()))
	case errors.Is(r.err, registry.ErrNotFound), errors.Is(r.err, registry.ErrUnknownMethod):
		return answerFrame(answerNotFound, []byte(r.err.Error()))
	}
	// A service's own error says only its message (the exception names the
	// service and method already).
	var se *registry.ServiceError
	if errors.As(r.err, &se) {
		return answerFrame(answerFailed, []byte(se.Message))
	}
	return answerFrame(answerFailed, []byte(r.err.Error()))
}

func (s *Services) allowedList() string {
	if len(s.allowed) == 0 {
		return "no service"
	}
	return strings.Join(s.allowed, ", ")
}

func answerFrame(status answerStatus, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	binary.LittleEndian.PutUint32(b, uint32(status))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
	return append(b, body...)
}
