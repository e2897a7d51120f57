package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

func init() {
	commands["register"] = &command{
		summary: "register a service; it runs on a live host that has the factory",
		usage:   "NAME FACTORY",
		details: func() string {
			return "FACTORY is one this build has: " + strings.Join(registry.Factories(), ", ") +
				"\n(`host hosts` shows which live hosts have which; a host offers python_executor only where python.wasm is)."
		},
		setup: func(fs *flag.FlagSet) runFunc {
			r := &registerFlags{}
			fs.StringVar(&r.args, "args", "", "constructor arguments, as `JSON`")
			fs.StringVar(&r.module, "module", "", "a Wasm plugin's `FILE` (factory wasm): stored in the namespace, named in the args by its sha256")
			fs.IntVar(&r.maxConcurrency, "max-concurrency", 0, "`N` calls the service runs at once (default: the service's own, else 1)")
			fs.Var(&r.cpus, "cpus", "`N` CPUs the service needs")
			fs.Var(&r.gpus, "gpus", "`N` GPUs the service needs")
			fs.Var(&r.memory, "memory", "`SIZE` of memory the service needs, e.g. 2GiB")
			return r.run
		},
	}
}

type registerFlags struct {
	args           string
	module         string
	maxConcurrency int
	cpus           cpusFlag
	gpus           countFlag
	memory         sizeFlag
}

func (f *registerFlags) run(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 2, "NAME FACTORY"); err != nil {
		return err
	}
	if f.maxConcurrency < 0 {
		return usagef("--max-concurrency must not be negative")
	}
	opts := []registry.RegisterOption{registry.WithResources(registry.Resources{
		CPUs: float64(f.cpus), GPUs: int(f.gpus), MemoryBytes: int64(f.memory)})}
	if f.maxConcurrency > 0 {
		opts = append(opts, registry.WithMaxConcurrency(f.maxConcurrency))
	}
	if f.module != "" && args[1] != wasm.FactoryName {
		return usagef("--module is for factory %s (a Wasm plugin), not %s", wasm.FactoryName, args[1])
	}
	if f.args != "" && !json.Valid([]byte(f.args)) {
		return usagef("--args is not valid JSON: %s", f.args)
	}
	r, err := openClient(ctx, g)
	if err != nil {
		return err
	}
	defer r.Close()
	// The args are given once: as typed, or with the stored module's sum.
	switch {
	case f.module != "":
		raw, err := storeModule(ctx, r, f.module, f.args)
		if err != nil {
			return err
		}
		opts = append(opts, registry.WithArgs(raw))
	case f.args != "":
		opts = append(opts, registry.WithArgs(json.RawMessage(f.args)))
	}
	h, err := r.Register(ctx, args[0], args[1], opts...)
	if errors.Is(err, registry.ErrExists) {
		// The registry's own message gives Go advice (use Get).
		return fmt.Errorf("%w: %q in namespace %q: `host get %s` shows it", registry.ErrExists, args[0], g.namespace, args[0])
	}
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(g, h.Spec())
	}
	fmt.Fprintf(g.stdout, "registered %s (factory %s) on host %s\n", h.Name(), h.Spec().Factory, h.Spec().Owner)
	return nil
}
