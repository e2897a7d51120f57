package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/sandhost/sandhost/internal/stats"
	"github.com/sandhost/sandhost/registry"
)

// deployment is where the registry's figures are measured: the embedded
// Redis of this process, or a real Redis.
type deployment struct {
	name string // "embedded", "redis-server"
	dsn  string // what registry.Open takes here
}

// noop is the service of the in-process figures.
var noop = registry.ServiceFunc(func(context.Context, string, []byte) ([]byte, error) { return nil, nil })

// callPayload is what every call figure sends and gets back (a tokenizer's
// encode of "hi" answers two tokens).
var callPayload = []byte(`"hi"`)

// runRegistry is scenario 3: the namespace's operations with many
// services, and calls in process and across two host processes at each
// concurrency, beside a bare Redis doing the same work.
func runRegistry(ctx context.Context, b *bench, s *ScenarioRun) error {
	deps := []deployment{{"embedded", "embedded://"}}
	if url, err := b.realRedis(ctx); err == nil {
		name := "redis-server"
		if b.cfg.Redis != "" {
			name = "given Redis"
		}
		deps = append(deps, deployment{name, url})
	} else {
		b.note(s, "no real Redis: %v", err)
	}
	s.Context = append(s.Context,
		Quote{What: "Ray 1:1 actor calls, sync", Value: 2012, Unit: "calls/s", Source: "Ray's microbenchmark (issue 9)"},
		Quote{What: "Ray 1:1 actor calls, async", Value: 8664, Unit: "calls/s", Source: "Ray's microbenchmark (issue 9)"},
		Quote{What: "Ray n:n actor calls", Value: 27376, Unit: "calls/s", Source: "Ray's microbenchmark (issue 9)"})
	if err := inProcessCalls(ctx, b, s); err != nil {
		return err
	}
	for _, d := range deps {
		if err := namespaceOps(ctx, b, s, d); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if err := crossHostCalls(ctx, b, s, d, "sandhost, tokenizer", func(ctx context.Context, r *registry.Registry) (*registry.Handle, string, error) {
			h, err := r.Register(ctx, "tok", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}),
				registry.WithMaxConcurrency(slices.Max(b.sz.concurrency)))
			return h, "encode", err
		}); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

// quiet logs the registries' errors only, on the progress writer: their
// warnings (a heartbeat late under load) would drown the figures.
func (b *bench) quiet() registry.Option {
	return registry.WithLogger(slog.New(slog.NewTextHandler(b.progress, &slog.HandlerOptions{Level: slog.LevelError})))
}

// namespace is a namespace of its own for each figure's registry.
func namespace(what string) string {
	return fmt.Sprintf("bench-%s-%d-%d", what, os.Getpid(), rand.Uint32())
}

// inProcessCalls: a call whose service lives in the calling process,
// against calling the service's method directly.
func inProcessCalls(ctx context.Context, b *bench, s *ScenarioRun) error {
	r, err := registry.Open(ctx, "embedded://", registry.WithNamespace(namespace("inproc")), b.quiet())
	if err != nil {
		return err
	}
	defer r.Close()
	h, err := r.RegisterService(ctx, "noop", noop, registry.WithMaxConcurrency(slices.Max(b.sz.concurrency)))
	if err != nil {
		return err
	}
	for _, c := range b.sz.concurrency {
		group := fmt.Sprintf("call in process, c=%d", c)
		f, err := b.throughput(ctx, Figure{Group: group, Subject: "sandhost, in process", Unit: "calls/s"}, b.sz.callsPerConc*10, c,
			func(ctx context.Context) error { _, err := h.Call(ctx, "x", callPayload); return err })
		if err != nil {
			return err
		}
		b.add(s, f)
		f, err = b.throughput(ctx, Figure{Group: group, Subject: "Go method call", Baseline: true, Unit: "calls/s"}, b.sz.callsPerConc*10, c,
			func(ctx context.Context) error { _, err := noop.Call(ctx, "x", callPayload); return err })
		if err != nil {
			return err
		}
		b.add(s, f)
	}
	return nil
}

// namespaceOps: register, get and list with b.sz.services services,
// against a bare Redis hash of the same specs (HSETNX, HGET, HKEYS).
func namespaceOps(ctx context.Context, b *bench, s *ScenarioRun, d deployment) error {
	n := b.sz.services
	r, err := registry.Open(ctx, d.dsn, registry.WithNamespace(namespace("ns")), b.quiet())
	if err != nil {
		return err
	}
	defer r.Close()
	client, err := registry.Open(ctx, r.Addr(), registry.WithNamespace(r.Namespace()), registry.ClientOnly(), b.quiet())
	if err != nil {
		return err
	}
	defer client.Close()
	opt, err := goredis.ParseURL(r.Addr())
	if err != nil {
		return err
	}
	bare := goredis.NewClient(opt)
	defer bare.Close()
	bareKey := "bare:specs:" + r.Namespace()
	defer bare.Del(context.Background(), bareKey)

	name := func(i int) string { return "svc-" + strconv.Itoa(i) }
	// Register: every service once, one run (a second would register
	// names that exist), within a time budget: a deployment too slow for
	// n services stops short, and says so.
	var spec []byte
	var lat []time.Duration
	deadline := time.Now().Add(b.sz.registerBudget)
	i := 0
	for ; i < n && time.Now().Before(deadline); i++ {
		t0 := time.Now()
		h, err := r.RegisterService(ctx, name(i), noop)
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
		if spec == nil {
			if spec, err = json.Marshal(h.Spec()); err != nil {
				return err
			}
		}
	}
	if i < n {
		b.note(s, "%s: %d of %d services registered within the %s budget (first tenth's median %s ms, last tenth's %s ms); its namespace figures are with %d",
			d.name, i, n, b.sz.registerBudget, num(ms(stats.Quantile(lat[:max(1, i/10)], 0.5))), num(ms(stats.Quantile(lat[i-max(1, i/10):], 0.5))), i)
	}
	group := fmt.Sprintf("register, %d services, %s", i, d.name)
	f := valueFigure(Figure{Group: group, Subject: "sandhost, RegisterService", Unit: "ms", Better: "lower", Counts: map[string]int{"services": i}}, []float64{ms(stats.Quantile(lat, 0.5))})
	f.setLatencies(lat)
	b.add(s, f)
	lat = lat[:0]
	for j := range i {
		t0 := time.Now()
		if err := bare.HSetNX(ctx, bareKey, name(j), spec).Err(); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	f = valueFigure(Figure{Group: group, Subject: "bare Redis HSETNX", Baseline: true, Unit: "ms", Better: "lower"}, []float64{ms(stats.Quantile(lat, 0.5))})
	f.setLatencies(lat)
	b.add(s, f)

	pick := func() string { return name(rand.IntN(i)) }
	group = fmt.Sprintf("get, %d services, %s", i, d.name)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "sandhost, Get from another host"}, b.sz.getOps,
		func(ctx context.Context) error { _, err := client.Get(ctx, pick()); return err })
	if err != nil {
		return err
	}
	b.add(s, f)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "bare Redis HGET", Baseline: true}, b.sz.getOps,
		func(ctx context.Context) error { return bare.HGet(ctx, bareKey, pick()).Err() })
	if err != nil {
		return err
	}
	b.add(s, f)

	group = fmt.Sprintf("list, %d services, %s", i, d.name)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "sandhost, List"}, b.sz.slowOps,
		func(ctx context.Context) error {
			names, err := client.List(ctx)
			if err == nil && len(names) < i {
				err = fmt.Errorf("harness: List gave %d names of %d", len(names), i)
			}
			return err
		})
	if err != nil {
		return err
	}
	b.add(s, f)
	f, err = b.latency(ctx, Figure{Group: group, Subject: "bare Redis HKEYS, sorted", Baseline: true}, b.sz.slowOps,
		func(ctx context.Context) error {
			names, err := bare.HKeys(ctx, bareKey).Result()
			slices.Sort(names)
			return err
		})
	if err != nil {
		return err
	}
	b.add(s, f)
	return r.Reset(ctx)
}

// crossHostCalls: calls from this process to a service owned by another
// host process, at each concurrency, against the bare Redis Streams
// request/reply between this process and another one on the same Redis.
// register makes the service (placed on the other host) and names its
// method.
func crossHostCalls(ctx context.Context, b *bench, s *ScenarioRun, d deployment, subject string,
	register func(context.Context, *registry.Registry) (*registry.Handle, string, error)) error {
	// The embedded Redis lives in a registry of this process, as `host
	// serve` without --redis keeps it.
	ns := namespace("calls")
	home, err := registry.Open(ctx, d.dsn, registry.WithNamespace(ns), b.quiet())
	if err != nil {
		return err
	}
	defer home.Close()
	url := home.Addr()
	host, err := startHost(ctx, b.cfg.HostBinary, url, ns)
	if err != nil {
		return err
	}
	defer host.stop()
	client, err := registry.Open(ctx, url, registry.WithNamespace(ns), registry.ClientOnly(), b.quiet())
	if err != nil {
		return err
	}
	defer client.Close()
	h, method, err := register(ctx, client)
	if err != nil {
		return err
	}
	defer client.Reset(context.Background()) // the namespace left empty, on a given Redis too
	echo, err := startEcho(ctx, b.cfg.HostBinary, url)
	if err != nil {
		return err
	}
	bare, err := NewBareClient(url)
	if err != nil {
		echo.stop()
		return err
	}
	defer func() { // the server first: the request stream goes with the client
		echo.stop()
		bare.Close()
	}()
	for _, c := range b.sz.concurrency {
		group := fmt.Sprintf("%s across hosts, %s, c=%d", method, d.name, c)
		f, err := b.throughput(ctx, Figure{Group: group, Subject: subject + ", " + d.name, Unit: "calls/s"}, b.sz.callsPerConc, c,
			func(ctx context.Context) error { _, err := h.Call(ctx, method, callPayload); return err })
		if err != nil {
			return err
		}
		b.add(s, f)
		f, err = b.throughput(ctx, Figure{Group: group, Subject: "bare Redis Streams, " + d.name, Baseline: true, Unit: "calls/s"}, b.sz.callsPerConc, c,
			func(ctx context.Context) error { return bare.Call(ctx, callPayload) })
		if err != nil {
			return err
		}
		b.add(s, f)
	}
	return nil
}
