package pyexec_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
)

func TestExtractCode(t *testing.T) {
	reply := "Let me compute.\n```python\nprint(1 + 1)\n```\nand\n```python\nx = 2\nprint(x)\n```\n```bash\nls\n```"
	got := pyexec.ExtractCode(reply)
	if len(got) != 2 || got[0] != "print(1 + 1)" || got[1] != "x = 2\nprint(x)" {
		t.Fatalf("ExtractCode = %q", got)
	}
	if pyexec.ExtractCode("no code here") != nil {
		t.Fatal("found code in a reply without blocks")
	}
}

func TestInterpreterLocalModes(t *testing.T) {
	p := newPool(t, pyexec.Options{Size: 2})
	in, err := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Pool: p, Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	msgs := in.Process(ctx, []string{"```python\nprint(1 + 1)\n```", "no code", "```python\na = 1\n```"})
	if len(msgs[0]) != 1 || msgs[0][0].Content != "Code block 1 executed successfully:\n2\n" || msgs[0][0].Role != "tool" {
		t.Fatalf("env 0: %+v", msgs[0])
	}
	if len(msgs[1]) != 0 {
		t.Fatalf("env without code got messages: %+v", msgs[1])
	}
	// Persistent: env 2 keeps a; an error then a success in one reply.
	msgs = in.Process(ctx, []string{"", "", "```python\na += 1\nassert a == 2\n```\n```python\nraise RuntimeError('boom')\n```\n```python\nprint(a)\n```"})
	got := msgs[2]
	if len(got) != 3 || got[0].Content != "Code block 1 executed successfully:\n" ||
		!strings.HasPrefix(got[1].Content, "Code block 2 failed:\nError: boom") || got[2].Content != "Code block 3 executed successfully:\n2\n" {
		t.Fatalf("env 2: %+v", got)
	}
	// Env 0 does not see env 2's state; after a reset env 2 does not either.
	if m := in.Process(ctx, []string{"```python\nprint(a)\n```"}); !strings.Contains(m[0][0].Content, "failed") {
		t.Fatalf("env 0 sees env 2's state: %+v", m)
	}
	in.Reset(ctx, 2)
	if m := in.Process(ctx, []string{"", "", "```python\nprint(a)\n```"}); !strings.Contains(m[2][0].Content, "NameError") {
		t.Fatalf("after reset: %+v", m[2])
	}

	// Default (not persistent): every block starts clean.
	fresh, _ := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Pool: p})
	m := fresh.Process(ctx, []string{"```python\nb = 1\n```\n```python\nprint(b)\n```"})
	if !strings.Contains(m[0][1].Content, "failed") {
		t.Fatalf("fresh mode kept state: %+v", m)
	}
	// A block that only warns (a SyntaxWarning on stderr) executed successfully.
	m = fresh.Process(ctx, []string{"```python\nimport re\nprint(re.findall('\\d', 'a1'))\n```"})
	if m[0][0].Content != "Code block 1 executed successfully:\n['1']\n" {
		t.Fatalf("a block that warned: %+v", m)
	}
}

func TestInterpreterServiceMode(t *testing.T) {
	r, err := registry.Open(ctx, "memory://interp", registry.WithNamespace("interp"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Registry: r})
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "Make sure the service is registered") {
		t.Fatalf("missing service: %v", err)
	}
	if _, err := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Services: "ray://cluster"}); err == nil ||
		!strings.Contains(err.Error(), "Invalid services backend") {
		t.Fatalf("invalid backend: %v", err)
	}
	reg, err := r.Register(ctx, pyexec.ServiceName, pyexec.ServiceName, registry.WithArgs(pyexec.ServiceArgs{PoolSize: 2, Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.Spec().MaxConcurrency; n != 4 {
		t.Fatalf("max concurrency %d, want twice the pool size 2 (its calls and as many standing aside) by default", n)
	}
	in, err := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	// Eight environments at once through the service.
	replies := make([]string, 8)
	for i := range replies {
		replies[i] = "```python\nimport time\nprint(" + strings.Repeat("1+", i) + "0)\n```"
	}
	t0 := time.Now()
	msgs := in.Process(ctx, replies)
	for i, m := range msgs {
		want := "Code block 1 executed successfully:\n" + itoa(i) + "\n"
		if len(m) != 1 || m[0].Content != want {
			t.Fatalf("env %d: %+v, want %q", i, m, want)
		}
	}
	t.Logf("8 environments through the service in %v", time.Since(t0))
	clone, err := in.Clone(ctx)
	if err != nil || clone.Options() != in.Options() {
		t.Fatalf("clone: %+v %v", clone, err)
	}
	if m := clone.Process(ctx, []string{"```python\nprint('from the clone')\n```"}); m[0][0].Content != "Code block 1 executed successfully:\nfrom the clone\n" {
		t.Fatalf("clone run: %+v", m)
	}
	h, _ := r.Get(ctx, pyexec.ServiceName)
	res, err := registry.CallJSON[pyexec.Result](ctx, h, "execute", pyexec.Request{Code: "x=10;y=20;print(f'Result: {x+y}')"})
	if err != nil || !res.Success || res.Stdout != "Result: 30\n" {
		t.Fatalf("execute through the registry: %+v %v", res, err)
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i))) }

// countingExecutor stands in for the executor service: it counts the calls
// it gets and reports each as passed.
type countingExecutor struct{ calls atomic.Int32 }

func (e *countingExecutor) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	e.calls.Add(1)
	return json.Marshal(pyexec.Result{Success: true, Passed: true, Stdout: "ok\n"})
}

// In service mode every call runs in the isolated model, so resetting an
// environment has nothing to clear on the service and costs no call.
func TestInterpreterServiceModeResetCostsNoCall(t *testing.T) {
	r, err := registry.Open(ctx, "memory://reset", registry.WithNamespace("reset"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	exec := &countingExecutor{}
	if _, err := r.RegisterService(ctx, pyexec.ServiceName, exec); err != nil {
		t.Fatal(err)
	}
	in, err := pyexec.NewInterpreter(ctx, pyexec.InterpreterOptions{Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	in.Reset(ctx, 0)
	if n := exec.calls.Load(); n != 0 {
		t.Fatalf("Reset made %d calls to the service, want none", n)
	}
	if m := in.Process(ctx, []string{"```python\nprint('ok')\n```"}); len(m[0]) != 1 || exec.calls.Load() != 1 {
		t.Fatalf("a block after Reset: %+v, %d calls", m, exec.calls.Load())
	}
}

// Through the registry as in a pool, a loop that stood aside from its run
// slot lets a quick call run: the registry hands the service calls beyond
// its interpreters (MaxConcurrency), so the quick call does not wait in the
// store for the loop's deadline.
func TestServiceLetsQuickCallsPastLongOnes(t *testing.T) {
	r, err := registry.Open(ctx, "memory://aside", registry.WithNamespace("aside"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	started := &signalService{ch: make(chan struct{}, 1)}
	if _, err := r.RegisterService(ctx, "started", started); err != nil {
		t.Fatal(err)
	}
	h, err := r.Register(ctx, "pe", pyexec.ServiceName, registry.WithArgs(pyexec.ServiceArgs{PoolSize: 1, Services: []string{"started"}}))
	if err != nil {
		t.Fatal(err)
	}
	loop := make(chan error, 1)
	go func() {
		_, err := registry.CallJSON[pyexec.Result](ctx, h, "execute", pyexec.Request{
			Code: "import sandhost\nsandhost.call('started', 'now')\nwhile True: pass", Timeout: 5 * time.Second})
		loop <- err
	}()
	<-started.ch // the loop runs in the pool's one interpreter
	quick, err := registry.CallJSON[pyexec.Result](ctx, h, "execute", pyexec.Request{Code: "print('quick')", Timeout: 5 * time.Second})
	if err != nil || quick.Stdout != "quick\n" {
		t.Fatalf("the quick call: %+v %v", quick, err)
	}
	select {
	case err := <-loop:
		t.Fatalf("the quick call returned only after the loop had (%v): it waited for the loop's deadline", err)
	default:
	}
	<-loop
}

// Arguments below zero are refused when the service is registered, rather
// than taken as the defaults.
func TestServiceRefusesNegativeArguments(t *testing.T) {
	r, err := registry.Open(ctx, "memory://args", registry.WithNamespace("args"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, a := range []pyexec.ServiceArgs{{PoolSize: -3}, {Timeout: -5}, {Memory: -1}, {OutputCap: -1}, {MaxSessions: -2}} {
		if _, err := r.Register(ctx, "bad", pyexec.ServiceName, registry.WithArgs(a)); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", a, err)
		}
	}
}

// signalService tells, on ch, that it was called.
type signalService struct{ ch chan struct{} }

func (s *signalService) Call(ctx context.Context, method string, payload []byte) ([]byte, error) {
	s.ch <- struct{}{}
	return []byte("null"), nil
}
