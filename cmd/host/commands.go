package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
	"github.com/sandhost/sandhost/registry"
)

func init() {
	commands["serve"] = &command{
		summary: "join a namespace and run services until interrupted",
		usage:   "[--redis URL] [--listen ADDR] [--gpus N] [--cpus N] [--memory SIZE]",
		flags: func(fs *flag.FlagSet, g *globals) {
			fs.String("listen", "127.0.0.1:0", "address of the embedded Redis when --redis is empty")
			fs.Float64("cpus", float64(runtime.NumCPU()), "CPUs offered to services")
			fs.Int("gpus", 0, "GPUs offered to services")
			fs.String("memory", "", "memory offered to services (e.g. 16GiB; default: the machine's)")
		},
		run: runServe,
	}
	commands["register"] = &command{
		summary: "register a service; it runs on a live host that has the factory",
		usage:   "NAME FACTORY [--args JSON] [--max-concurrency N] [--cpus N] [--gpus N] [--memory SIZE]",
		flags: func(fs *flag.FlagSet, g *globals) {
			fs.String("args", "", "constructor arguments, as JSON")
			fs.Int("max-concurrency", 0, "calls the service runs at once (default: the service's own, else 1)")
			fs.Float64("cpus", 0, "CPUs the service needs")
			fs.Int("gpus", 0, "GPUs the service needs")
			fs.String("memory", "", "memory the service needs (e.g. 2GiB)")
		},
		run: runRegister,
	}
	commands["list"] = &command{summary: "list the services of the namespace", run: clientRun(0, "no arguments", runList)}
	commands["get"] = &command{summary: "show one service", usage: "NAME", run: clientRun(1, "NAME", runGet)}
	commands["call"] = &command{
		summary: "call a method of a service and print the reply",
		usage:   "NAME METHOD [PAYLOAD_JSON]",
		flags: func(fs *flag.FlagSet, g *globals) {
			fs.Duration("timeout", 60*time.Second, "deadline of the call")
		},
		run: runCall,
	}
	commands["reset"] = &command{summary: "stop every service of the namespace, on every host", run: clientRun(0, "no arguments", runReset)}
	commands["hosts"] = &command{summary: "list the live hosts of the namespace", run: clientRun(0, "no arguments", runHosts)}
}

func flagValue(fs *flag.FlagSet, name string) string { return fs.Lookup(name).Value.String() }

// openClient opens a client-only registry: the CLI must not tie a service's
// life to its own.
func openClient(ctx context.Context, g *globals) (*registry.Registry, error) {
	if g.redis == "" {
		return nil, usagef("no --redis given (or SANDHOST_REDIS): give the address `host serve` printed")
	}
	return registry.Open(ctx, g.redis, registry.WithNamespace(g.namespace), registry.ClientOnly())
}

// clientRun adapts a command that takes an exact number of arguments and
// works on a client-only registry.
func clientRun(nargs int, names string, fn func(ctx context.Context, g *globals, r *registry.Registry, args []string) error) func(context.Context, *globals, []string) error {
	return func(ctx context.Context, g *globals, args []string) error {
		if err := needArgs(args, nargs, names); err != nil {
			return err
		}
		r, err := openClient(ctx, g)
		if err != nil {
			return err
		}
		defer r.Close()
		return fn(ctx, g, r, args)
	}
}

func printJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func parseResources(fs *flag.FlagSet) (registry.Resources, error) {
	var res registry.Resources
	fmt.Sscan(flagValue(fs, "cpus"), &res.CPUs)
	fmt.Sscan(flagValue(fs, "gpus"), &res.GPUs)
	if m := flagValue(fs, "memory"); m != "" {
		n, err := bytesize.Parse(m)
		if err != nil {
			return res, usagef("--memory: %v", err)
		}
		res.MemoryBytes = n
	}
	return res, nil
}

func runServe(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 0, "no arguments"); err != nil {
		return err
	}
	res, err := parseResources(g.fs)
	if err != nil {
		return err
	}
	opts := []registry.Option{registry.WithNamespace(g.namespace), registry.AcceptPlacement()}
	if flagValue(g.fs, "memory") != "" || g.fs.Lookup("cpus").Value.String() != g.fs.Lookup("cpus").DefValue || res.GPUs > 0 {
		if res.MemoryBytes == 0 {
			res.MemoryBytes = 1 << 62
		}
		opts = append(opts, registry.WithHostResources(res))
	}
	dsn := g.redis
	if dsn == "" {
		dsn = "embedded://" + flagValue(g.fs, "listen")
	}
	r, err := registry.Open(ctx, dsn, opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	if g.json {
		printJSON(g, map[string]any{"host": r.HostID(), "namespace": r.Namespace(), "redis": r.Addr(), "factories": registry.Factories()})
	} else {
		fmt.Fprintf(g.stdout, "host %s serving namespace %q with factories %v\n", r.HostID(), r.Namespace(), registry.Factories())
		if g.redis == "" {
			fmt.Fprintf(g.stdout, "embedded Redis: other hosts join with --redis %s\n", r.Addr())
		}
		fmt.Fprintln(g.stdout, "ready")
	}
	if f, ok := g.stdout.(*os.File); ok {
		f.Sync()
	}
	<-ctx.Done()
	slog.Info("shutting down", "host", r.HostID())
	return nil
}

func runRegister(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 2, "NAME FACTORY"); err != nil {
		return err
	}
	res, err := parseResources(g.fs)
	if err != nil {
		return err
	}
	var mc int
	fmt.Sscan(flagValue(g.fs, "max-concurrency"), &mc)
	opts := []registry.RegisterOption{registry.WithResources(res)}
	if mc < 0 {
		return usagef("--max-concurrency must be positive")
	}
	if mc > 0 {
		opts = append(opts, registry.WithMaxConcurrency(mc))
	}
	if a := flagValue(g.fs, "args"); a != "" {
		if !json.Valid([]byte(a)) {
			return usagef("--args is not valid JSON: %s", a)
		}
		opts = append(opts, registry.WithArgs(json.RawMessage(a)))
	}
	r, err := openClient(ctx, g)
	if err != nil {
		return err
	}
	defer r.Close()
	h, err := r.Register(ctx, args[0], args[1], opts...)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(g, h.Spec())
	}
	fmt.Fprintf(g.stdout, "registered %s (factory %s) on host %s\n", h.Name(), h.Spec().Factory, h.Spec().Owner)
	return nil
}

func runList(ctx context.Context, g *globals, r *registry.Registry, args []string) error {
	specs, err := r.Specs(ctx)
	if err != nil {
		return err
	}
	if g.json {
		names := make([]string, len(specs))
		for i, s := range specs {
			names[i] = s.Name
		}
		return printJSON(g, names)
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFACTORY\tMAX\tOWNER")
	for _, s := range specs {
		f := s.Factory
		if f == "" {
			f = "(instance)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, f, s.MaxConcurrency, s.Owner)
	}
	return tw.Flush()
}

func runGet(ctx context.Context, g *globals, r *registry.Registry, args []string) error {
	h, err := r.Get(ctx, args[0])
	if err != nil {
		return err
	}
	return printJSON(g, h.Spec())
}

func runCall(ctx context.Context, g *globals, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return usagef("want NAME METHOD [PAYLOAD_JSON]")
	}
	var payload []byte
	if len(args) == 3 {
		payload = []byte(args[2])
		if !json.Valid(payload) {
			return usagef("payload is not valid JSON: %s (quote strings: '\"hello\"')", args[2])
		}
	}
	timeout, _ := time.ParseDuration(flagValue(g.fs, "timeout"))
	r, err := openClient(ctx, g)
	if err != nil {
		return err
	}
	defer r.Close()
	h, err := r.Get(ctx, args[0])
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := h.Call(cctx, args[1], payload)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, strings.TrimRight(string(out), "\n"))
	return nil
}

func runReset(ctx context.Context, g *globals, r *registry.Registry, args []string) error {
	n, _ := r.List(ctx)
	if err := r.Reset(ctx); err != nil {
		return err
	}
	if g.json {
		return printJSON(g, map[string]any{"reset": g.namespace, "services": n})
	}
	fmt.Fprintf(g.stdout, "reset namespace %q (%d services stopped)\n", g.namespace, len(n))
	return nil
}

func runHosts(ctx context.Context, g *globals, r *registry.Registry, args []string) error {
	hs, err := r.Hosts(ctx)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(g, hs)
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPID\tSERVICES\tPLACEMENT\tCPUS\tGPUS\tMEMORY\tFACTORIES")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%g\t%d\t%s\t%s\n", h.ID, h.PID, h.Services, h.Placement,
			h.Capacity.CPUs, h.Capacity.GPUs, bytesize.Format(h.Capacity.MemoryBytes), strings.Join(h.Factories, ","))
	}
	return tw.Flush()
}
