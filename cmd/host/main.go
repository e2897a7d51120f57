// Command host is sandhost's host daemon and CLI.
//
//	host serve      join a namespace and run services (starts an embedded
//	                Redis when none is given, and prints its address)
//	host register   register a service, placed on a live host
//	host list       list services       host get NAME    show one
//	host call       call a method       host reset       empty a namespace
//	host hosts      list live hosts     host demo        a self-contained tour
//
// Every subcommand takes --redis URL and --namespace NS (or SANDHOST_REDIS and
// SANDHOST_NAMESPACE), --json and --help. Exit codes: 0 ok, 1 error, 2 usage.
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

	goredis "github.com/redis/go-redis/v9"
)

// errUsage marks a usage error (exit code 2).
var errUsage = errors.New("usage")

type command struct {
	summary string
	usage   string // after "host NAME"
	run     func(ctx context.Context, g *globals, args []string) error
	flags   func(fs *flag.FlagSet, g *globals)
}

var commands = map[string]*command{}

// globals are the flags every subcommand takes.
type globals struct {
	redis     string
	namespace string
	json      bool
	verbose   bool
	stdout    io.Writer
	stderr    io.Writer
	fs        *flag.FlagSet
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

func main() {
	// go-redis logs connections closed under a blocked read at shutdown.
	goredis.SetLogger(quietRedis{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "host: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	g := &globals{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("host "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.fs = fs
	fs.StringVar(&g.redis, "redis", os.Getenv("SANDHOST_REDIS"), "Redis URL (redis://, rediss://); empty: embedded (env SANDHOST_REDIS)")
	ns := os.Getenv("SANDHOST_NAMESPACE")
	if ns == "" {
		ns = "default"
	}
	fs.StringVar(&g.namespace, "namespace", ns, "namespace (env SANDHOST_NAMESPACE)")
	fs.BoolVar(&g.json, "json", false, "print JSON for scripts")
	fs.BoolVar(&g.verbose, "v", false, "verbose logs")
	if cmd.flags != nil {
		cmd.flags(fs, g)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: host %s %s\n\n%s\n\nflags:\n", args[0], cmd.usage, cmd.summary)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	if err := cmd.run(ctx, g, pos); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "host %s: %v\n", args[0], err)
			fs.Usage()
			return 2
		}
		fmt.Fprintf(stderr, "host %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// parseInterspersed lets flags follow positional arguments
// (`host call NAME METHOD '{}' --json`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
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
	fmt.Fprintln(w, "\nEvery command takes --redis URL, --namespace NS, --json and --help.\n"+
		"Environment: SANDHOST_REDIS, SANDHOST_NAMESPACE. Exit codes: 0 ok, 1 error, 2 usage.")
}

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func needArgs(args []string, n int, names string) error {
	if len(args) != n {
		return usagef("want %s, got %d argument(s): %s", names, len(args), strings.Join(args, " "))
	}
	return nil
}
