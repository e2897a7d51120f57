package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/sandhost/sandhost/internal/bytesize"
	"github.com/sandhost/sandhost/registry"
)

func init() {
	commands["list"] = &command{summary: "list the services of the namespace", usage: "(no arguments)",
		setup: noFlags(clientRun(0, "no arguments", runList))}
	commands["get"] = &command{summary: "show one service", usage: "NAME",
		setup: noFlags(clientRun(1, "NAME", runGet))}
	commands["reset"] = &command{summary: "stop every service of the namespace, on every host", usage: "(no arguments)",
		setup: noFlags(clientRun(0, "no arguments", runReset))}
	commands["hosts"] = &command{summary: "list the live hosts of the namespace", usage: "(no arguments)",
		setup: noFlags(clientRun(0, "no arguments", runHosts))}
}

// openClient opens a client-only registry: the CLI must not tie a service's
// life to its own.
func openClient(ctx context.Context, g *globals) (*registry.Registry, error) {
	if g.redis == "" {
		return nil, usagef("no Redis to reach: give --redis URL or set SANDHOST_REDIS (the URL `host serve` printed)")
	}
	return openRegistry(ctx, g.redis, registry.WithNamespace(g.namespace), registry.ClientOnly())
}

// openRegistry is registry.Open, with a DSN of no known scheme a usage
// error: a mistyped --redis is bad input, not a Redis that failed.
func openRegistry(ctx context.Context, dsn string, opts ...registry.Option) (*registry.Registry, error) {
	r, err := registry.Open(ctx, dsn, opts...)
	if errors.Is(err, registry.ErrUnknownBackend) {
		return nil, fmt.Errorf("%w: --redis: %w", errUsage, err)
	}
	return r, err
}

// clientRun adapts a command that takes an exact number of arguments and
// works on a client-only registry.
func clientRun(nargs int, names string, fn func(ctx context.Context, g *globals, r *registry.Registry, args []string) error) runFunc {
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

func runReset(ctx context.Context, g *globals, r *registry.Registry, args []string) error {
	n, err := r.List(ctx)
	if err != nil {
		return err
	}
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
