package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
	"github.com/sandhost/sandhost/pyexec"
	"github.com/sandhost/sandhost/registry"
	"github.com/sandhost/sandhost/sandbox"
)

type mountList []sandbox.Mount

func (m *mountList) String() string { return fmt.Sprint(*m) }

func (m *mountList) Set(v string) error {
	host, guest, ok := strings.Cut(v, ":")
	if !ok || host == "" || !strings.HasPrefix(guest, "/") {
		return fmt.Errorf("want HOSTDIR:/GUESTDIR, got %q", v)
	}
	*m = append(*m, sandbox.Mount{HostDir: host, GuestPath: guest})
	return nil
}

func init() {
	var mounts mountList
	commands["exec"] = &command{
		summary: "run Python code in the sandbox (a local pool, or the executor service with --redis)",
		usage:   "CODE | -f FILE | - [--session ID | --fresh] [--timeout 1s] [--memory 256MiB] [--mount HOST:GUEST]",
		flags: func(fs *flag.FlagSet, g *globals) {
			fs.String("f", "", "read the code from this file")
			fs.String("service", pyexec.ServiceName, "executor service to use when --redis is given")
			fs.String("session", "", "keep state under this session ID")
			fs.Bool("fresh", false, "run in a clean, just-started interpreter")
			fs.Duration("timeout", 10*time.Second, "deadline of the execution")
			fs.String("memory", "", "memory limit of the interpreter (default 256MiB)")
			fs.String("engine", sandbox.DefaultEngine, "sandbox engine: wazy or wazero (local pool)")
			fs.String("python-dir", "", "directory holding python.wasm and lib/ (default: the build cache)")
			fs.Var(&mounts, "mount", "mount HOSTDIR read-only at GUESTDIR (local pool; repeatable)")
		},
		run: func(ctx context.Context, g *globals, args []string) error { return runExec(ctx, g, args, mounts) },
	}
}

func runExec(ctx context.Context, g *globals, args []string, mounts mountList) error {
	code, err := readCode(g.fs, args)
	if err != nil {
		return err
	}
	session := flagValue(g.fs, "session")
	fresh := flagValue(g.fs, "fresh") == "true"
	if session != "" && fresh {
		return usagef("--session and --fresh exclude each other")
	}
	timeout, _ := time.ParseDuration(flagValue(g.fs, "timeout"))
	var res pyexec.Result
	if g.redis != "" {
		if len(mounts) > 0 {
			return usagef("--mount applies to a local pool; the service's mounts are set where it runs")
		}
		r, err := registry.Open(ctx, g.redis, registry.WithNamespace(g.namespace), registry.ClientOnly())
		if err != nil {
			return err
		}
		defer r.Close()
		h, err := r.Get(ctx, flagValue(g.fs, "service"))
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
		defer cancel()
		if m := flagValue(g.fs, "memory"); m != "" {
			if _, err := bytesize.Parse(m); err != nil {
				return usagef("--memory: %v", err)
			}
		}
		res, err = registry.CallJSON[pyexec.Result](cctx, h, "execute", pyexec.ExecuteRequest{Code: code, Session: session,
			Fresh: fresh, Timeout: timeout.Seconds(), Memory: flagValue(g.fs, "memory")})
		if err != nil {
			return err
		}
	} else {
		mem := int64(256 << 20)
		if m := flagValue(g.fs, "memory"); m != "" {
			if mem, err = bytesize.Parse(m); err != nil {
				return usagef("--memory: %v", err)
			}
		}
		p, err := pyexec.NewPool(ctx, pyexec.Options{Size: 1, Timeout: timeout, MemoryLimit: mem, Mounts: mounts,
			PythonDir: flagValue(g.fs, "python-dir"), Engine: flagValue(g.fs, "engine")})
		if err != nil {
			return err
		}
		defer p.Close()
		var opts []pyexec.ExecOption
		if session != "" {
			opts = append(opts, pyexec.InSession(session))
		}
		if fresh {
			opts = append(opts, pyexec.Fresh())
		}
		if res, err = p.Execute(ctx, code, opts...); err != nil {
			return err
		}
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	io.WriteString(g.stdout, res.Stdout)
	io.WriteString(g.stderr, res.Stderr)
	if !res.Success {
		reason := string(res.Failure)
		if reason == "" {
			reason = "stderr output"
		}
		return fmt.Errorf("execution failed (%s, return code %d)", reason, res.ReturnCode)
	}
	return nil
}

func readCode(fs *flag.FlagSet, args []string) (string, error) {
	file := flagValue(fs, "f")
	switch {
	case file != "" && len(args) == 0:
		b, err := os.ReadFile(file)
		return string(b), err
	case file == "" && len(args) == 1 && args[0] == "-":
		b, err := io.ReadAll(os.Stdin)
		return string(b), err
	case file == "" && len(args) == 1:
		return args[0], nil
	}
	return "", usagef("give the code as one argument, -f FILE, or - for standard input")
}
