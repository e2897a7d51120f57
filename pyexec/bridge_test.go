package pyexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
)

// fakeServices is a namespace for the bridge: "echo" returns its
// arguments, "fail" fails as a service does, "raw" answers bytes that are
// not JSON, and "slow" waits for its context (or, when deaf, for release).
type fakeServices struct {
	mu      sync.Mutex
	calls   []string // service.method of every call that reached it
	started chan struct{}
	release chan struct{}
	deaf    bool // "slow" ignores its context
}

func newFakeServices() *fakeServices {
	return &fakeServices{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (f *fakeServices) Call(ctx context.Context, service, method string, args []byte) ([]byte, error) {
	f.mu.Lock()
	f.calls = append(f.calls, service+"."+method)
	f.mu.Unlock()
	switch service {
	case "echo":
		return json.Marshal(map[string]any{"method": method, "args": json.RawMessage(args)})
	case "fail":
		return nil, &registry.ServiceError{Service: service, Method: method, Message: "no such token: " + string(args)}
	case "raw":
		return []byte("\x00\xffbytes"), nil
	case "slow":
		f.started <- struct{}{}
		if f.deaf {
			<-f.release
			return []byte("1"), nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("%w: service %q", registry.ErrNotFound, service)
}

func (f *fakeServices) reached() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Allowed services are called with JSON arguments of any type and their
// results come back decoded, in every state model; failures raise the
// sandhost.ServiceError subclass that says why, naming the service and
// method, and a service not on the list is refused without a call.
func TestSandboxedCodeCallsAllowedServices(t *testing.T) {
	fake := newFakeServices()
	p := newPool(t, pyexec.Options{Size: 1, Services: pyexec.AllowServices(fake, "echo", "fail", "raw", "missing")})
	code := `
import sandhost
r = sandhost.call("echo", "encode", "hi")
print(r == {"method": "encode", "args": "hi"})
for a in (None, 1, 2.5, True, [1, "x", None], {"k": [1, 2]}):
    assert sandhost.call("echo", "m", a)["args"] == a, a
print(sandhost.call("echo", "m"))
print(sandhost.call("raw", "get"))
for svc in ("fail", "missing", "secret"):
    try:
        sandhost.call(svc, "encode", [1])
    except sandhost.ServiceError as e:
        print(type(e).__name__, e.service, e.method, e.reason)
`
	want := "True\n{'args': None, 'method': 'm'}\nb'\\x00\\xffbytes'\n" +
		"ServiceFailed fail encode no such token: [1]\n" +
		"ServiceNotFound missing encode service not found: service \"missing\"\n" +
		"ServiceRefused secret encode not allowed (this pool's code may call echo, fail, missing, raw)\n"
	for _, mode := range []struct {
		name string
		opt  pyexec.ExecOption
	}{{"isolated", nil}, {"shared", pyexec.Shared()}, {"session", pyexec.InSession("s")}, {"fresh", pyexec.Fresh()}} {
		t.Run(mode.name, func(t *testing.T) {
			var opts []pyexec.ExecOption
			if mode.opt != nil {
				opts = append(opts, mode.opt)
			}
			r := run(t, p, code, opts...)
			if !r.Passed || r.Stdout != want {
				t.Fatalf("stdout %q, want %q; %+v", r.Stdout, want, r)
			}
		})
	}
	for _, c := range fake.reached() {
		if strings.HasPrefix(c, "secret.") {
			t.Fatalf("a refused call reached the services: %v", fake.reached())
		}
	}
	// An uncaught error names the service, the method and the reason.
	r := run(t, p, "import sandhost; sandhost.call('fail', 'decode', 7)")
	if r.Failure != pyexec.FailException || !strings.Contains(r.Stderr, "sandhost.ServiceFailed: fail.decode: no such token: 7") {
		t.Fatalf("uncaught service error: %+v", r)
	}
	healthy(t, p, 2)
}

// Without Services there is no sandhost module (and no bridge file).
func TestNoSandhostModuleByDefault(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 1})
	for _, opt := range []pyexec.ExecOption{pyexec.Shared(), pyexec.Fresh()} {
		r := run(t, p, "import os; print(os.path.exists('/dev/sandhost')); import sandhost", opt)
		if r.Failure != pyexec.FailException || r.Stdout != "False\n" ||
			!strings.Contains(r.Stderr, "ModuleNotFoundError: No module named 'sandhost'") {
			t.Fatalf("import sandhost without Services: %+v", r)
		}
	}
	r := run(t, p, "import sandhost")
	if !strings.Contains(r.Stderr, "ModuleNotFoundError: No module named 'sandhost'") {
		t.Fatalf("import sandhost without Services (isolated): %+v", r)
	}
}

// The code's timeout stops it while it waits for a service, promptly, even
// for a service that ignores its context; the service's context ends with
// it, and the interpreter is replaced by a clean one.
func TestTimeoutInterruptsABridgedCall(t *testing.T) {
	for _, deaf := range []bool{false, true} {
		t.Run(fmt.Sprintf("deaf=%v", deaf), func(t *testing.T) {
			fake := newFakeServices()
			fake.deaf = deaf
			defer close(fake.release)
			p := newPool(t, pyexec.Options{Size: 1, Services: pyexec.AllowServices(fake, "slow")})
			const timeout = 500 * time.Millisecond
			r := run(t, p, "import sandhost; sandhost.call('slow', 'wait'); print('after')", pyexec.WithTimeout(timeout))
			if r.Failure != pyexec.FailTimeout || r.Stdout != "" {
				t.Fatalf("want a timeout: %+v", r)
			}
			select {
			case <-fake.started:
			default:
				t.Fatalf("timed out before the service was called: %+v", r)
			}
			// Generous for a loaded machine under -race; the bug it catches
			// is a call held for as long as the service takes (forever).
			if r.Duration > timeout+5*time.Second {
				t.Fatalf("stopped after %v, timeout %v", r.Duration, timeout)
			}
			healthy(t, p, 2)
		})
	}
}

// A service may go on after the code's deadline (the bridge does not wait
// for it): it must still read the arguments the code sent, whole, after the
// interpreter that sent them was stopped and closed and its memory freed.
func TestServiceOutlivingTheCallKeepsItsArguments(t *testing.T) {
	callCtx, stop := context.WithCancel(ctx)
	defer stop()
	release := make(chan struct{})
	seen := make(chan int, 1)
	svc := pyexec.CallerFunc(func(_ context.Context, service, method string, args []byte) ([]byte, error) {
		stop()    // the call's deadline passes while the service works,
		<-release // which ignores its context, as the bridge allows
		seen <- strings.Count(string(args), "x")
		return []byte("1"), nil
	})
	p, err := pyexec.NewPool(ctx, pyexec.Options{Size: 1, Services: pyexec.AllowServices(svc, "svc")})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8 << 20
	r, err := p.Execute(callCtx, fmt.Sprintf("import sandhost\nsandhost.call('svc', 'm', 'x' * %d)", n))
	if err != nil || r.Failure != pyexec.FailTimeout {
		t.Fatalf("want a timeout: %v %+v", err, trim(r))
	}
	// Close returns once every interpreter is closed and its memory freed.
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if got := <-seen; got != n {
		t.Fatalf("the service saw %d 'x' of %d: its arguments changed under it", got, n)
	}
}

// sandhost.call(..., timeout=) bounds one call: the code gets
// ServiceTimeout and goes on.
func TestBridgedCallTimeoutRaises(t *testing.T) {
	fake := newFakeServices()
	p := newPool(t, pyexec.Options{Size: 1, Services: pyexec.AllowServices(fake, "slow")})
	r := run(t, p, `
import sandhost
try:
    sandhost.call('slow', 'wait', timeout=0.05)
except sandhost.ServiceTimeout as e:
    print('timeout', e.service, e.method, 'timeout of 50ms' in e.reason)
`, pyexec.WithTimeout(time.Minute))
	if !r.Passed || r.Stdout != "timeout slow wait True\n" {
		t.Fatalf("%+v", r)
	}
}

// A change to the sandhost module in an isolated call is seen, as any
// module's: the interpreter is replaced, and the next call has it intact.
// A call through it changes nothing the check sees, so using it costs no
// replacement.
func TestIsolatedCallsCannotChangeSandhost(t *testing.T) {
	fake := newFakeServices()
	p := newPool(t, pyexec.Options{Size: 1, Services: pyexec.AllowServices(fake, "echo")})
	// A mark the check does not see (inside a dict a module holds) tells
	// whether the next call runs in the same interpreter.
	run(t, p, "import sandhost, copy\nsandhost.call('echo', 'm', [1])\ncopy._deepcopy_dispatch['mark'] = 1")
	if r := run(t, p, "import copy; print('mark' in copy._deepcopy_dispatch)"); r.Stdout != "True\n" {
		t.Fatalf("the interpreter was replaced after a bridged call: %+v", r)
	}
	run(t, p, "import sandhost; sandhost.call = lambda *a, **k: 'patched'")
	r := run(t, p, "import sandhost; print(sandhost.call('echo', 'm', 1)['args'])")
	if !r.Passed || r.Stdout != "1\n" {
		t.Fatalf("the patch carried over: %+v", r)
	}
}

// AllowServices keeps a sorted list without repeats.
func TestAllowServicesLists(t *testing.T) {
	s := pyexec.AllowServices(pyexec.CallerFunc(func(context.Context, string, string, []byte) ([]byte, error) {
		return nil, errors.New("unused")
	}), "reward", "tokenizer", "reward")
	if got := strings.Join(s.Allowed(), ","); got != "reward,tokenizer" {
		t.Fatalf("Allowed() = %s", got)
	}
}

// A python_executor registered with "services" calls them through its
// registry: here the built-in Go tokenizer, with the tokens a direct call
// gets; a service the args do not list is refused though it exists.
func TestPythonServiceCallsAGoServiceThroughTheRegistry(t *testing.T) {
	r, err := registry.Open(ctx, "memory://bridge", registry.WithNamespace("bridge"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Register(ctx, "tokenizer", "tokenizer", registry.WithArgs(map[string]int{"vocab_size": 50000}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(ctx, "counter", "value", registry.WithArgs(map[string]int{"value": 1})); err != nil {
		t.Fatal(err)
	}
	py, err := r.Register(ctx, pyexec.ServiceName, pyexec.ServiceName,
		registry.WithArgs(pyexec.ServiceArgs{PoolSize: 1, Timeout: 10 * time.Second, Services: []string{"tokenizer"}}))
	if err != nil {
		t.Fatal(err)
	}
	direct, err := registry.CallJSON[[]int](ctx, tok, "encode", "héllo")
	if err != nil {
		t.Fatal(err)
	}
	res, err := registry.CallJSON[pyexec.Result](ctx, py, "execute", pyexec.Request{Code: `
import json, sandhost
ids = sandhost.call("tokenizer", "encode", "héllo")
print(json.dumps(ids, separators=(",", ":")), sandhost.call("tokenizer", "decode", ids))
try:
    sandhost.call("counter", "get")
except sandhost.ServiceRefused as e:
    print("refused", e.service)
`})
	want, _ := json.Marshal(direct)
	if err != nil || !res.Passed || res.Stdout != string(want)+" héllo\nrefused counter\n" {
		t.Fatalf("execute: %+v, %v; want tokens %s", res, err, want)
	}
}

// BenchmarkBridgedCall is one sandhost.call to a service that answers at
// once (the round trip through the bridge: encoding, the file's open,
// write, read and close, and the Caller), against the same loop without
// the call, in a pool whose code may call services and in one where it
// may not (the bridge must cost calls that do not use it nothing).
func BenchmarkBridgedCall(b *testing.B) {
	echo := pyexec.CallerFunc(func(_ context.Context, _, _ string, args []byte) ([]byte, error) { return args, nil })
	const loop = "import time\nt = time.perf_counter()\nfor i in range(200):\n    %s\nprint((time.perf_counter() - t) / 200 * 1e9)"
	for _, c := range []struct {
		name     string
		services *pyexec.Services
		body     string
	}{
		{"call", pyexec.AllowServices(echo, "echo"), "sandhost.call('echo', 'encode', i)"},
		{"no-call/bridge-on", pyexec.AllowServices(echo, "echo"), "pass"},
		{"no-call/bridge-off", nil, "pass"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := newPool(b, pyexec.Options{Size: 1, Timeout: time.Minute, Services: c.services})
			code := fmt.Sprintf(loop, c.body)
			if c.services != nil {
				code = "import sandhost\n" + code
			}
			var ns float64
			for b.Loop() {
				r, err := p.Execute(ctx, code, pyexec.Shared())
				if err != nil || !r.Passed {
					b.Fatal(r, err)
				}
				var v float64
				fmt.Sscan(r.Stdout, &v)
				ns += v
			}
			b.ReportMetric(ns/float64(b.N), "ns/iteration")
		})
	}
}
