package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/sandhost/sandhost/plugins/dropin"
	"github.com/sandhost/sandhost/plugins/embedding"
	"github.com/sandhost/sandhost/registry"
)

func init() {
	commands["serve"] = &command{
		summary: "join a namespace and run services until interrupted",
		usage:   "(no arguments)",
		redis:   redisJoin,
		setup: func(fs *flag.FlagSet) runFunc {
			// Each resource not given is the machine's, whatever else is.
			machine := registry.MachineResources()
			s := &serveFlags{cpus: cpusFlag(machine.CPUs), gpus: gpusDetect, memory: sizeFlag(machine.MemoryBytes)}
			fs.StringVar(&s.listen, "listen", "127.0.0.1:0", "`ADDR` the embedded Redis listens on when --redis is empty")
			fs.Var(&s.cpus, "cpus", "`N` CPUs offered to services; the default is this machine's")
			fs.Var(&s.gpus, "gpus", "`N` GPUs offered to services; the default is the NVIDIA GPUs the CUDA driver finds")
			fs.Var(&s.memory, "memory", "`SIZE` of memory offered to services, e.g. 16GiB; the default is this machine's")
			fs.StringVar(&s.plugins, "plugins", "", "serve every NAME.wasm in `DIR` as service NAME (settings in NAME.yaml or NAME.json beside it), following its changes")
			return s.run
		},
	}
}

// gpusDetect is --gpus not given: offer the GPUs the CUDA driver finds.
const gpusDetect countFlag = -1

type serveFlags struct {
	listen string
	cpus   cpusFlag
	gpus   countFlag
	memory sizeFlag
	// plugins is the drop-in directory ("": none).
	plugins string
}

func (s *serveFlags) run(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 0, "no arguments"); err != nil {
		return err
	}
	if s.gpus == gpusDetect {
		n, err := embedding.DetectGPUs(ctx)
		if err != nil {
			slog.Info("offering no GPU", "reason", err) // the usual case on a machine without NVIDIA's driver
		}
		s.gpus = countFlag(n)
	}
	offer := registry.Resources{CPUs: float64(s.cpus), GPUs: int(s.gpus), MemoryBytes: int64(s.memory)}
	dsn := g.redis
	if dsn == "" {
		dsn = "embedded://" + s.listen
	}
	r, err := openRegistry(ctx, dsn, registry.WithNamespace(g.namespace), registry.AcceptPlacement(),
		registry.WithHostResources(offer))
	if err != nil {
		return err
	}
	defer r.Close()
	if s.plugins != "" {
		// Before "ready": the plugins there are served when it is printed.
		d, err := dropin.Watch(ctx, r, s.plugins, dropin.Options{})
		if err != nil {
			return usagef("--plugins: %v", err)
		}
		defer d.Close() // before r.Close: unregisters them
	}
	if g.json {
		err = printJSON(g, map[string]any{"host": r.HostID(), "namespace": r.Namespace(), "redis": r.Addr(), "factories": registry.Factories(), "plugins": s.plugins})
	} else {
		fmt.Fprintf(g.stdout, "host %s serving namespace %q with factories %v\n", r.HostID(), r.Namespace(), registry.Factories())
		if g.redis == "" {
			fmt.Fprintf(g.stdout, "embedded Redis: other hosts join with --redis %s\n", r.Addr())
		}
		_, err = fmt.Fprintln(g.stdout, "ready")
	}
	if err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	if f, ok := g.stdout.(*os.File); ok {
		f.Sync()
	}
	<-ctx.Done()
	slog.Info("shutting down", "host", r.HostID())
	return nil
}
