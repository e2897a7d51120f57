// Command host is sandhost's host daemon and CLI.
//
//	host serve      join a namespace and run services (starts an embedded
//	                Redis when none is given, and prints its address)
//	host register   register a service, placed on a live host
//	host list       list services       host get NAME    show one
//	host call       call a method       host reset       empty a namespace
//	host hosts      list live hosts     host exec        run Python
//	host plugins    list Wasm plugins   host demo        a self-contained tour
//	host bench      the benchmark harness: every scenario beside its baselines
//
// Every subcommand takes --redis URL and --namespace NS (or SANDHOST_REDIS and
// SANDHOST_NAMESPACE), --json (but demo) and --help. Exit codes: 0 ok, 1 error,
// 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/sandhost/sandhost/registry"
)

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage")

// runFunc runs a command once its flags are parsed.
type runFunc func(ctx context.Context, g *globals, args []string) error

type command struct {
	summary string
	usage   string // after "host NAME"
	redis   string // what --redis means to this command
	// details, when set, adds lines to the command's help.
	details func() string
	// setup defines the command's own flags on fs, bound to variables made
	// afresh for each run, and returns what runs the command.
	setup func(fs *flag.FlagSet) runFunc
}

// commands is the registration table of subcommands, filled by init.
var commands = map[string]*command{}

// What --redis means, by kind of command.
const (
	redisJoin   = "`URL` of the Redis to join (redis://, rediss://); empty: start an embedded one and print its URL"
	redisClient = "`URL` of the Redis the namespace's hosts use (required: the one host serve printed)"
	redisExec   = "`URL` of a Redis: run through the executor service there; empty: a local pool"
)

// globals are the flags every subcommand takes, and the process's streams.
type globals struct {
	redis     string
	namespace string
	json      bool
	verbose   bool
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	fs        *flag.FlagSet
}

func main() {
	// go-redis's own log goes to slog at debug level (the redis driver).
	// The first signal asks for an orderly stop (a host leaves the
	// namespace); a second one kills the process, as it would without the
	// handler, instead of being swallowed while the stop hangs. The default
	// is back before ctx ends, so before anything the stop does.
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// run runs the CLI and returns its exit code. Help that was asked for goes
// to stdout; usage errors go to stderr with exit code 2.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" || name == "help" {
		if len(args) > 1 && name == "help" {
			cmd, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "host help: unknown command %q\n\n", args[1])
				printUsage(stderr)
				return 2
			}
			g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
			cmd.newFlagSet(args[1], g)
			cmd.printHelp(stdout, args[1], g.fs)
			return 0
		}
		printUsage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "host: unknown command %q\n\n", name)
		printUsage(stderr)
		return 2
	}
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	runCmd := cmd.newFlagSet(name, g)
	pos, err := parseArgs(g.fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		cmd.printHelp(stdout, name, g.fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "host %s: %v\n\n", name, err)
		cmd.printHelp(stderr, name, g.fs)
		return 2
	}
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err := runCmd(ctx, g, pos); err != nil {
		fmt.Fprintf(stderr, "host %s: %v\n", name, err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr)
			cmd.printHelp(stderr, name, g.fs)
			return 2
		}
		return 1
	}
	return 0
}

// newFlagSet makes the command's flag set, with the global flags bound to g,
// stores it in g.fs and returns what runs the command.
func (c *command) newFlagSet(name string, g *globals) runFunc {
	fs := flag.NewFlagSet("host "+name, flag.ContinueOnError)
	// The flag package would print errors and help itself, to one stream:
	// run prints them, help to stdout and errors to stderr.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	g.fs = fs
	redisHelp := c.redis
	if redisHelp == "" {
		redisHelp = redisClient
	}
	fs.StringVar(&g.redis, "redis", os.Getenv("SANDHOST_REDIS"), redisHelp+" (env SANDHOST_REDIS)")
	ns := os.Getenv("SANDHOST_NAMESPACE")
	if ns == "" {
		ns = registry.DefaultNamespace
	}
	fs.StringVar(&g.namespace, "namespace", ns, "the namespace `NS` (env SANDHOST_NAMESPACE)")
	fs.BoolVar(&g.json, "json", false, "print JSON for scripts (exec, bench: the verdict is in the JSON, and the exit is 0 once it is printed)")
	fs.BoolVar(&g.verbose, "v", false, "verbose logs")
	return c.setup(fs)
}

func (c *command) printHelp(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: host %s [flags] %s\n\n%s\n", name, c.usage, c.summary)
	if c.details != nil {
		fmt.Fprintf(w, "\n%s\n", c.details())
	}
	fmt.Fprintln(w, "\nflags:")
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Usage, internalFlag) {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue // not the value parsed so far
		}
	})
	shown.SetOutput(w)
	shown.PrintDefaults()
}

// internalFlag begins the usage of a flag that one host process passes
// another: it works, but help leaves it out.
const internalFlag = "internal: "

// noFlags adapts a command that has only the global flags.
func noFlags(fn runFunc) func(*flag.FlagSet) runFunc {
	return func(*flag.FlagSet) runFunc { return fn }
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: host COMMAND [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --redis URL, --namespace NS, --json (but demo) and --help (`host help COMMAND`).\n"+
		"Every command but serve, demo and a local exec needs a Redis to reach: --redis or SANDHOST_REDIS.\n"+
		"Flags may follow arguments; a negative number is an argument, and so is everything after --.\n"+
		"Environment: SANDHOST_REDIS, SANDHOST_NAMESPACE. Exit codes: 0 ok, 1 error, 2 usage.")
}

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func needArgs(args []string, n int, names string) error {
	switch {
	case len(args) == n:
	case len(args) == 0:
		return usagef("want %s, got no arguments", names)
	default:
		return usagef("want %s, got %d argument(s): %s", names, len(args), strings.Join(args, " "))
	}
	return nil
}
