package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

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

// serviceList is --allow-service, repeatable.
type serviceList []string

func (l *serviceList) String() string { return strings.Join(*l, ",") }

func (l *serviceList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty service name")
	}
	*l = append(*l, v)
	return nil
}

func init() {
	commands["exec"] = &command{
		summary: "run Python code in the sandbox (a local pool, or the executor service with --redis)",
		usage:   "CODE | -f FILE | -",
		redis:   redisExec,
		setup: func(fs *flag.FlagSet) runFunc {
			e := &execFlags{}
			fs.StringVar(&e.file, "f", "", "read the code from `FILE`")
			fs.StringVar(&e.service, "service", pyexec.ServiceName, "`NAME` of the executor service (with --redis)")
			fs.StringVar(&e.session, "session", "", "keep state under this session `ID`")
			fs.BoolVar(&e.fresh, "fresh", false, "run in a clean, just-started interpreter")
			fs.Var(&e.timeout, "timeout", "deadline of the execution, a `DURATION` such as 2s (default: the pool's or the service's own)")
			fs.Var(&e.memory, "memory", "`SIZE` of memory the interpreter may use, e.g. 128MiB (default: the pool's or the service's own)")
			fs.StringVar(&e.engine, "engine", sandbox.DefaultEngine, "sandbox `ENGINE`: wazy or wazero (local pool)")
			fs.StringVar(&e.pythonDir, "python-dir", "", "`DIR` holding python.wasm and lib/ (local pool; default: the build cache)")
			fs.Var(&e.mounts, "mount", "`HOSTDIR:GUESTDIR`, mounted read-only (local pool; repeatable)")
			fs.Var(&e.allow, "allow-service", "let the code call service `NAME` of the namespace at --redis (import sandhost; runs a local pool; repeatable)")
			return e.run
		},
	}
}

type execFlags struct {
	file, service, session string
	fresh                  bool
	timeout                timeoutFlag
	memory                 sizeFlag
	engine, pythonDir      string
	mounts                 mountList
	allow                  serviceList
}

// serviceMargin is added to the execution's own deadline for the call
// through Redis: queueing behind other calls, and the round trip.
const serviceMargin = 30 * time.Second

func (e *execFlags) run(ctx context.Context, g *globals, args []string) error {
	code, given, err := readInput(g, e.file, args)
	if err != nil {
		return err
	}
	if !given {
		return usagef("give the code as one argument, -f FILE, or - for standard input")
	}
	if e.session != "" && e.fresh {
		return usagef("--session and --fresh exclude each other")
	}
	set := map[string]bool{}
	g.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// A flag for the other side is a usage error, not silently ignored.
	wrong, side := []string{"engine", "python-dir", "mount"}, "applies to a local pool; the service's settings are made where it runs"
	switch {
	case len(e.allow) > 0 && g.redis == "":
		wrong, side = []string{"allow-service"}, "needs --redis or SANDHOST_REDIS: the services are reached through Redis"
	case len(e.allow) > 0:
		// The executor service's list is its registrant's to set, so the
		// code runs here, calling the namespace's services.
		wrong, side = []string{"service"}, "does not apply with --allow-service: the code runs in a local pool"
	case g.redis == "":
		wrong, side = []string{"service"}, "needs --redis or SANDHOST_REDIS: the service is reached through Redis"
	}
	for _, name := range wrong {
		if set[name] {
			return usagef("--%s %s", name, side)
		}
	}
	if !slices.Contains(sandbox.Engines(), e.engine) {
		return usagef("--engine %q: want one of %s", e.engine, strings.Join(sandbox.Engines(), ", "))
	}
	var res pyexec.Result
	if g.redis != "" && len(e.allow) == 0 {
		res, err = e.throughService(ctx, g, string(code))
	} else {
		res, err = e.local(ctx, g, string(code))
	}
	if err != nil {
		return err
	}
	if g.json {
		return json.NewEncoder(g.stdout).Encode(res)
	}
	io.WriteString(g.stdout, res.Stdout)
	io.WriteString(g.stderr, res.Stderr)
	// Passed, not TorchRL's Success: a warning on stderr is not a failure.
	if !res.Passed {
		return fmt.Errorf("execution failed (%s, return code %d)", res.Failure, res.ReturnCode)
	}
	return nil
}

// throughService runs the code on the executor service. Only the limits
// the user gave are sent, so the service's own defaults apply otherwise.
func (e *execFlags) throughService(ctx context.Context, g *globals, code string) (pyexec.Result, error) {
	r, err := openRegistry(ctx, g.redis, registry.WithNamespace(g.namespace), registry.ClientOnly())
	if err != nil {
		return pyexec.Result{}, err
	}
	defer r.Close()
	h, err := r.Get(ctx, e.service)
	if err != nil {
		return pyexec.Result{}, err
	}
	req := pyexec.Request{Code: code, Session: e.session, Fresh: e.fresh, Memory: int64(e.memory)}
	limit := e.timeout.d
	if e.timeout.set {
		req.Timeout = limit
	} else {
		// The service's own default, when it was registered with one;
		// otherwise the registry's default call deadline applies.
		var args pyexec.ServiceArgs
		if json.Unmarshal(h.Spec().Args, &args) == nil && args.Timeout > 0 {
			limit = args.Timeout
		}
	}
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit+serviceMargin)
		defer cancel()
	}
	return registry.CallJSON[pyexec.Result](ctx, h, "execute", req)
}

// local runs the code in a pool of one interpreter in this process, which
// may call the --allow-service services of the namespace at --redis.
func (e *execFlags) local(ctx context.Context, g *globals, code string) (pyexec.Result, error) {
	var services *pyexec.Services
	if len(e.allow) > 0 {
		r, err := openRegistry(ctx, g.redis, registry.WithNamespace(g.namespace), registry.ClientOnly())
		if err != nil {
			return pyexec.Result{}, err
		}
		defer r.Close()
		services = pyexec.AllowServices(pyexec.RegistryCaller(r), e.allow...)
	}
	p, err := pyexec.NewPool(ctx, pyexec.Options{Size: 1, Timeout: e.timeout.d, MemoryLimit: int64(e.memory),
		Mounts: e.mounts, PythonDir: e.pythonDir, Engine: e.engine, Services: services})
	if errors.Is(err, registry.ErrInvalid) {
		// A flag's value the pool cannot work with, such as a --memory
		// below the interpreter's least.
		return pyexec.Result{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return pyexec.Result{}, err
	}
	defer p.Close()
	var opts []pyexec.ExecOption
	if e.session != "" {
		opts = append(opts, pyexec.InSession(e.session))
	}
	if e.fresh {
		opts = append(opts, pyexec.Fresh())
	}
	return p.Execute(ctx, code, opts...)
}
