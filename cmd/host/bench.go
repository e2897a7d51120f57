package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sandhost/sandhost/bench/harness"
)

func init() {
	commands["bench"] = &command{
		summary: "run the benchmark harness: every scenario beside its baselines (bench/README.md)",
		usage:   "(no arguments)",
		redis:   "`URL` of a Redis to measure the cross-host figures on too; empty: a redis-server started on a free port when installed (the embedded Redis is always measured)",
		details: func() string {
			return "Writes result.json (schema bench/harness/schema.json), results.md and SVG charts into --out.\n" +
				"Scenarios: " + strings.Join(harness.Scenarios, ", ") + ". The full mode takes minutes and says each figure as it goes."
		},
		setup: func(fs *flag.FlagSet) runFunc {
			b := &benchFlags{}
			fs.StringVar(&b.mode, "mode", string(harness.Full), "how long to measure, a `MODE`: full, quick (about a minute) or smoke (the least that runs every scenario)")
			fs.StringVar(&b.out, "out", "", "`DIR` to write into (default bench-results/TIMESTAMP)")
			fs.StringVar(&b.scenarios, "scenarios", "", "comma-separated `IDS` of the scenarios to run (default all)")
			fs.StringVar(&b.python, "python", "", "the baselines' `PYTHON` (default /usr/bin/python3, else python3 on PATH)")
			fs.StringVar(&b.nativePython, "native-python", "", "`PYTHON` built natively from the sandbox's CPython sources (default: the build tree's)")
			fs.StringVar(&b.serveEcho, "serve-echo", "", "internal: be the bare Redis Streams baseline's server on `URL`")
			return b.run
		},
	}
}

type benchFlags struct {
	mode, out, scenarios, python, nativePython, serveEcho string
}

func (b *benchFlags) run(ctx context.Context, g *globals, args []string) error {
	if err := needArgs(args, 0, "no arguments"); err != nil {
		return err
	}
	if b.serveEcho != "" {
		return harness.ServeEcho(ctx, b.serveEcho)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this binary (the other host's): %w", err)
	}
	cfg := harness.Config{Mode: harness.Mode(b.mode), Redis: g.redis, OutDir: b.out, HostBinary: exe,
		Python: b.python, NativePython: b.nativePython, Progress: g.stderr, Command: b.command(g)}
	if b.scenarios != "" {
		cfg.Scenarios = strings.Split(b.scenarios, ",")
	}
	if cfg.OutDir == "" {
		cfg.OutDir = filepath.Join("bench-results", time.Now().UTC().Format("20060102-150405"))
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	res, err := harness.Run(ctx, cfg)
	if errors.Is(err, harness.ErrConfig) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(g, res)
	}
	failed := 0
	for _, s := range res.Scenarios {
		if s.Error != "" {
			failed++
		}
	}
	fmt.Fprintf(g.stdout, "%s\n%s\n", filepath.Join(cfg.OutDir, harness.TableFile), filepath.Join(cfg.OutDir, harness.ResultFile))
	if failed > 0 {
		return fmt.Errorf("bench: %d scenario(s) stopped early (see %s)", failed, harness.TableFile)
	}
	return nil
}

// command is how to run this again, as recorded in the result: the flags
// that were given (the output directory and Redis's password left out).
func (b *benchFlags) command(g *globals) string {
	parts := []string{"host bench"}
	g.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "out", "redis":
			return
		}
		parts = append(parts, "--"+f.Name+" "+f.Value.String())
	})
	if g.redis != "" {
		parts = append(parts, "--redis URL")
	}
	return strings.Join(parts, " ")
}
