package registry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// env opens registries of one store for one test.
type env struct {
	t   *testing.T
	dsn string
	ns  string
}

// open opens a registry of the test's namespace (or another, with
// WithNamespace among opts) and closes it at the end of the test.
func (e *env) open(opts ...registry.Option) *registry.Registry {
	e.t.Helper()
	opts = append([]registry.Option{registry.WithNamespace(e.ns)}, opts...)
	r, err := registry.Open(context.Background(), e.dsn, opts...)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", e.dsn, err)
	}
	e.t.Cleanup(func() { r.Close() })
	return r
}

// eachBackend runs fn on the memory, embedded and real Redis backends.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	backends := []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"memory", func(t *testing.T) string { return "memory://" + strings.ReplaceAll(t.Name(), "/", "_") }},
		{"embedded", func(*testing.T) string { return "embedded://" }},
		{"redis", func(t *testing.T) string { return testredis.Start(t).URL() }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, &env{t: t, dsn: b.dsn(t), ns: "test-" + strings.ReplaceAll(t.Name(), "/", "-")})
		})
	}
}

var ctx = context.Background()

func mustRegister(t *testing.T, r *registry.Registry, name, factory string, opts ...registry.RegisterOption) *registry.Handle {
	t.Helper()
	h, err := r.Register(ctx, name, factory, opts...)
	if err != nil {
		t.Fatalf("Register(%q, %q): %v", name, factory, err)
	}
	return h
}

func getValue(t *testing.T, r *registry.Registry, name string) int {
	t.Helper()
	h, err := r.Get(ctx, name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	v, err := registry.CallJSON[int](ctx, h, "get", nil)
	if err != nil {
		t.Fatalf("%s.get: %v", name, err)
	}
	return v
}

func TestRegisterReturnsWorkingHandle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		h := mustRegister(t, r, "svc", "value", registry.WithArgs(map[string]int{"value": 42}))
		v, err := registry.CallJSON[int](ctx, h, "get", nil)
		if err != nil || v != 42 {
			t.Fatalf("get = %v, %v; want 42", v, err)
		}
	})
}

// counter is a service instance owned by the test, like TorchRL's started
// owner objects.
type counter struct {
	n      atomic.Int64
	closed atomic.Bool
}

func (c *counter) Call(_ context.Context, method string, _ []byte) ([]byte, error) {
	switch method {
	case "inc":
		return []byte(fmt.Sprint(c.n.Add(1))), nil
	}
	return nil, fmt.Errorf("%w %q", registry.ErrUnknownMethod, method)
}

func (c *counter) Close() error { c.closed.Store(true); return nil }

func TestOwnerRegistration(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		peer := e.open()
		owner := &counter{}
		if _, err := r.RegisterService(ctx, "owned", owner, registry.WithArgs(1)); !errors.Is(err, registry.ErrInvalid) {
			t.Fatalf("RegisterService with args: err = %v, want ErrInvalid", err)
		}
		if _, err := r.RegisterService(ctx, "owned", owner); err != nil {
			t.Fatal(err)
		}
		h, err := peer.Get(ctx, "owned")
		if err != nil {
			t.Fatalf("peer Get: %v", err)
		}
		if out, err := h.Call(ctx, "inc", nil); err != nil || string(out) != "1" {
			t.Fatalf("peer inc = %q, %v", out, err)
		}
		if err := peer.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := r.Contains(ctx, "owned"); ok {
			t.Fatal("owned service still registered after reset")
		}
		if owner.closed.Load() {
			t.Fatal("reset closed a service its owner registered as an instance")
		}
		if _, err := owner.Call(ctx, "inc", nil); err != nil {
			t.Fatalf("owner no longer works after reset: %v", err)
		}
	})
}

func TestDuplicateNameFails(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		mustRegister(t, r, "dup", "value")
		_, err := r.Register(ctx, "dup", "value")
		if !errors.Is(err, registry.ErrExists) {
			t.Fatalf("second Register: err = %v, want ErrExists", err)
		}
		other := e.open()
		if _, err := other.Register(ctx, "dup", "value"); !errors.Is(err, registry.ErrExists) {
			t.Fatalf("Register from another registry: err = %v, want ErrExists", err)
		}
	})
}

func TestGetAndMissing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		mustRegister(t, r, "hundred", "value", registry.WithArgs(map[string]int{"value": 100}))
		if v := getValue(t, r, "hundred"); v != 100 {
			t.Fatalf("get = %d, want 100", v)
		}
		_, err := r.Get(ctx, "nope")
		if !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("Get(missing): err = %v, want ErrNotFound", err)
		}
		if !strings.Contains(err.Error(), "hundred") {
			t.Fatalf("not-found message %q does not list the available services", err)
		}
	})
}

// In a large namespace the not-found message names the first services and
// counts the rest instead of listing thousands.
func TestMissingInLargeNamespace(t *testing.T) {
	r, err := registry.Open(ctx, "memory://large-missing")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range 100 {
		mustRegister(t, r, fmt.Sprintf("svc-%03d", i), "value")
	}
	_, err = r.Get(ctx, "nope")
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Get(missing): err = %v, want ErrNotFound", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "svc-000") || strings.Contains(msg, "svc-099") || !strings.HasSuffix(msg, "and 80 more") {
		t.Fatalf("not-found message %q: want the first 20 names and \"and 80 more\"", msg)
	}
}

func TestContainsAndListSorted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		names, err := r.List(ctx)
		if err != nil || len(names) != 0 {
			t.Fatalf("List on empty namespace = %v, %v", names, err)
		}
		for _, n := range []string{"zeta", "alpha", "mid"} {
			mustRegister(t, r, n, "value")
		}
		names, _ = r.List(ctx)
		if fmt.Sprint(names) != "[alpha mid zeta]" {
			t.Fatalf("List = %v, want [alpha mid zeta]", names)
		}
		if ok, err := r.Contains(ctx, "mid"); !ok || err != nil {
			t.Fatalf("Contains(mid) = %v, %v", ok, err)
		}
		if ok, err := r.Contains(ctx, "other"); ok || err != nil {
			t.Fatalf("Contains(other) = %v, %v", ok, err)
		}
	})
}

func TestVisibleFromSecondRegistry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a, b := e.open(), e.open()
		mustRegister(t, a, "shared", "value", registry.WithArgs(map[string]int{"value": 999}))
		if v := getValue(t, b, "shared"); v != 999 {
			t.Fatalf("through second registry: %d, want 999", v)
		}
	})
}

func TestNamespaceIsolation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		train := e.open(registry.WithNamespace(e.ns + "-train"))
		eval := e.open(registry.WithNamespace(e.ns + "-eval"))
		mustRegister(t, train, "tok", "value", registry.WithArgs(map[string]int{"value": 111}))
		mustRegister(t, eval, "tok", "value", registry.WithArgs(map[string]int{"value": 222}))
		if a, b := getValue(t, train, "tok"), getValue(t, eval, "tok"); a != 111 || b != 222 {
			t.Fatalf("train=%d eval=%d, want 111 and 222", a, b)
		}
		if err := train.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, _ := train.Contains(ctx, "tok"); ok {
			t.Fatal("reset left the service in its namespace")
		}
		if v := getValue(t, eval, "tok"); v != 222 {
			t.Fatalf("reset of train touched eval: %d", v)
		}
	})
}

func TestOptionsSeparateFromArgs(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		h := mustRegister(t, r, "opt", "value", registry.WithArgs(map[string]int{"value": 42}), registry.WithMaxConcurrency(5))
		if h.Spec().MaxConcurrency != 5 {
			t.Fatalf("MaxConcurrency = %d", h.Spec().MaxConcurrency)
		}
		if v := getValue(t, r, "opt"); v != 42 {
			t.Fatalf("value = %d", v)
		}
		// An option name given as an argument is refused, not swallowed.
		_, err := r.Register(ctx, "bad", "value", registry.WithArgs(map[string]any{"value": 1, "max_concurrency": 5}))
		if !errors.Is(err, registry.ErrInvalid) {
			t.Fatalf("unknown constructor argument: err = %v, want ErrInvalid", err)
		}
	})
}

func TestPersistsBeyondRegisteringObject(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.open(registry.AcceptPlacement()) // a long-lived host
		client := e.open(registry.ClientOnly())
		mustRegister(t, client, "kept", "value", registry.WithArgs(map[string]int{"value": 777}))
		client.Close()
		later := e.open(registry.ClientOnly())
		if v := getValue(t, later, "kept"); v != 777 {
			t.Fatalf("value = %d, want 777", v)
		}
	})
}

func TestResetEmpties(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		peer := e.open()
		for _, n := range []string{"a", "b"} {
			mustRegister(t, r, n, "value")
		}
		mustRegister(t, peer, "c", "value")
		if names, _ := r.List(ctx); len(names) != 3 {
			t.Fatalf("List = %v", names)
		}
		if err := r.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if names, _ := peer.List(ctx); len(names) != 0 {
			t.Fatalf("List after reset = %v", names)
		}
		// The name is free again everywhere.
		mustRegister(t, peer, "a", "value")
	})
}

func TestUnknownBackend(t *testing.T) {
	_, err := registry.Open(ctx, "nosuch://x")
	if !errors.Is(err, registry.ErrUnknownBackend) {
		t.Fatalf("err = %v, want ErrUnknownBackend", err)
	}
}

func TestTokenizerSameAcrossRegistries(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a, b := e.open(), e.open()
		mustRegister(t, a, "tok", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}))
		ha, _ := a.Get(ctx, "tok")
		hb, err := b.Get(ctx, "tok")
		if err != nil {
			t.Fatal(err)
		}
		ta, err1 := registry.CallJSON[[]int](ctx, ha, "encode", "hello world")
		tb, err2 := registry.CallJSON[[]int](ctx, hb, "encode", "hello world")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(ta) != 11 || fmt.Sprint(ta) != fmt.Sprint(tb) {
			t.Fatalf("tokens %v and %v, want the same 11", ta, tb)
		}
		s, err := registry.CallJSON[string](ctx, hb, "decode", ta)
		if err != nil || s != "hello world" {
			t.Fatalf("decode = %q, %v", s, err)
		}
	})
}

func TestStateSharedThroughRegistries(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a, b := e.open(), e.open()
		mustRegister(t, a, "state", "value", registry.WithArgs(map[string]int{"value": 0}))
		ha, _ := a.Get(ctx, "state")
		if _, err := registry.CallJSON[int](ctx, ha, "set", 10); err != nil {
			t.Fatal(err)
		}
		if v := getValue(t, b, "state"); v != 10 {
			t.Fatalf("read through b = %d, want 10", v)
		}
	})
}

func TestConditionalRegistrationKeepsFirst(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		for _, size := range []int{5000, 9000} {
			if ok, _ := r.Contains(ctx, "tok"); !ok {
				mustRegister(t, r, "tok", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: size}))
			}
		}
		h, _ := r.Get(ctx, "tok")
		n, err := registry.CallJSON[int](ctx, h, "vocab_size", nil)
		if err != nil || n != 5000 {
			t.Fatalf("vocab_size = %d, %v; want 5000", n, err)
		}
	})
}

func TestSeveralServicesKeepTheirValues(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		want := map[string]int{"big": 1000, "one": 1, "two": 2}
		for n, v := range want {
			mustRegister(t, r, n, "value", registry.WithArgs(map[string]int{"value": v}))
		}
		for n, v := range want {
			if got := getValue(t, r, n); got != v {
				t.Fatalf("%s = %d, want %d", n, got, v)
			}
		}
	})
}

// Registration is atomic: of many registries racing for one name, each
// over its own connections, exactly one wins. Racers of one registry are
// deduplicated in the process before they reach the store, so the racers
// here are separate registries, released together.
func TestRegisterRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const racers, rounds = 16, 5
		regs := make([]*registry.Registry, racers)
		for i := range regs {
			regs[i] = e.open()
		}
		for round := range rounds {
			name := fmt.Sprint("contended", round)
			var wins, exists atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, r := range regs {
				wg.Go(func() {
					<-start
					_, err := r.Register(ctx, name, "value", registry.WithArgs(map[string]int{"value": i}))
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, registry.ErrExists):
						exists.Add(1)
					default:
						t.Errorf("Register: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if wins.Load() != 1 || exists.Load() != racers-1 {
				t.Fatalf("round %d: %d successes and %d ErrExists, want 1 and %d", round, wins.Load(), exists.Load(), racers-1)
			}
		}
	})
}

func TestUnknownFactoryAndMethod(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		if _, err := r.Register(ctx, "x", "no-such-factory"); !errors.Is(err, registry.ErrUnknownFactory) {
			t.Fatalf("err = %v, want ErrUnknownFactory", err)
		}
		h := mustRegister(t, r, "v", "value")
		peer := e.open()
		hp, _ := peer.Get(ctx, "v")
		for _, hh := range []*registry.Handle{h, hp} {
			if _, err := hh.Call(ctx, "frobnicate", nil); !errors.Is(err, registry.ErrUnknownMethod) {
				t.Fatalf("err = %v, want ErrUnknownMethod", err)
			}
		}
	})
}

// slow blocks each call until released, counting how many run at once.
type slow struct {
	started chan struct{}
	release chan struct{}
	running atomic.Int32
	peak    atomic.Int32
}

func newSlow() *slow {
	return &slow{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (s *slow) Call(ctx context.Context, _ string, _ []byte) ([]byte, error) {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	s.started <- struct{}{}
	select {
	case <-s.release:
		return []byte("ok"), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestMaxConcurrencyQueuesCalls(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		owner, caller := e.open(), e.open()
		s := newSlow()
		if _, err := owner.RegisterService(ctx, "slow", s, registry.WithMaxConcurrency(2)); err != nil {
			t.Fatal(err)
		}
		hOwner, _ := owner.Get(ctx, "slow")
		hCaller, err := caller.Get(ctx, "slow")
		if err != nil {
			t.Fatal(err)
		}
		const calls = 8
		var wg sync.WaitGroup
		errs := make(chan error, calls)
		for i := range calls {
			h := hCaller
			if i%2 == 0 {
				h = hOwner // in-process callers share the same limit
			}
			wg.Go(func() {
				_, err := h.Call(ctx, "wait", nil)
				errs <- err
			})
		}
		// Two start; each release lets exactly one queued call in.
		<-s.started
		<-s.started
		for range calls - 2 {
			s.release <- struct{}{}
			<-s.started
		}
		s.release <- struct{}{}
		s.release <- struct{}{}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if p := s.peak.Load(); p != 2 {
			t.Fatalf("peak concurrency %d, want 2", p)
		}
	})
}

func TestCallDeadline(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		owner, caller := e.open(), e.open()
		s := newSlow()
		if _, err := owner.RegisterService(ctx, "slow", s); err != nil {
			t.Fatal(err)
		}
		h, _ := caller.Get(ctx, "slow")
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := h.Call(c, "wait", nil)
		if !errors.Is(err, registry.ErrDeadlineExceeded) {
			t.Fatalf("err = %v, want ErrDeadlineExceeded", err)
		}
	})
}

func TestResetStopsServicesOnEveryHost(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		a, b := e.open(), e.open()
		mustRegister(t, b, "onb", "value", registry.WithArgs(map[string]int{"value": 5}))
		hb, _ := b.Get(ctx, "onb")
		if err := a.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := hb.Call(ctx, "get", nil); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("call after reset: err = %v, want ErrNotFound", err)
		}
	})
}

type hinted struct{ counter }

func (*hinted) MaxConcurrency() int { return 7 }

func TestConcurrencyHint(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		r := e.open()
		h, err := r.RegisterService(ctx, "hinted", &hinted{})
		if err != nil || h.Spec().MaxConcurrency != 7 {
			t.Fatalf("spec %+v, %v: want max concurrency 7 from the hint", h.Spec(), err)
		}
		h, err = r.RegisterService(ctx, "explicit", &hinted{}, registry.WithMaxConcurrency(3))
		if err != nil || h.Spec().MaxConcurrency != 3 {
			t.Fatalf("spec %+v, %v: an explicit option wins", h.Spec(), err)
		}
		if h := mustRegister(t, r, "plain", "value"); h.Spec().MaxConcurrency != 1 {
			t.Fatalf("default max concurrency %d, want 1", h.Spec().MaxConcurrency)
		}
	})
}

func init() {
	missing := errors.New("model weights not found: run make weights")
	registry.RegisterFactory("needs-weights", registry.FactoryOf(func(context.Context, struct{}) (registry.Service, error) {
		return &counter{}, nil
	}), registry.Requires(func() error { return missing }))
}

func TestUnavailableFactoryIsNotOffered(t *testing.T) {
	for _, f := range registry.Factories() {
		if f == "needs-weights" {
			t.Fatal("an unavailable factory is listed")
		}
	}
	e := &env{t: t, dsn: "memory://unavailable", ns: "unavailable"}
	r := e.open(registry.AcceptPlacement())
	hs, _ := r.Hosts(ctx)
	for _, f := range hs[0].Factories {
		if f == "needs-weights" {
			t.Fatal("a host advertises an unavailable factory")
		}
	}
	_, err := r.Register(ctx, "w", "needs-weights")
	if !errors.Is(err, registry.ErrUnknownFactory) || !strings.Contains(err.Error(), "make weights") {
		t.Fatalf("err = %v, want ErrUnknownFactory saying what is missing", err)
	}
}

// With no host to place on, the error says so and how to start one.
func TestNoPlacementHostSaysHowToStartOne(t *testing.T) {
	e := &env{t: t, dsn: "memory://noplacement", ns: "noplacement"}
	client := e.open(registry.ClientOnly())
	_, err := client.Register(ctx, "v", "value")
	if !errors.Is(err, registry.ErrUnknownFactory) || !strings.Contains(err.Error(), "no live host accepts placement") || !strings.Contains(err.Error(), "host serve") {
		t.Fatalf("err = %v, want ErrUnknownFactory saying no live host accepts placement and how to start one", err)
	}
}
