// Command scoring runs the RL scoring workload of issue 7 in each mode and
// the native and TorchRL baselines, one after the other on the same
// samples, and prints a Markdown table (see bench/scoring/README.md), with
// the machine's load average before and after each mode on stderr:
//
//	go run ./bench/scoring/cmd/scoring [-n 600] [-c 128] [-p 32] [-timeout 2s] [-memory 268435456] [-modes default,shared,fresh,session,native,torchrl] [-runs 1] [-json out.json] [-trace out.trace]
//
// With -runs above 1 it runs the modes that many times over and ends with
// how many runs of each mode broke a promise of issue 7 (a deadline missed
// by more than 100 ms, a wrong verdict, a spurious timeout): a rare stall
// shows only over many runs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/trace"
	"strings"
	"time"

	"github.com/sandhost/sandhost/bench/scoring"
)

func main() {
	cfg := scoring.DefaultConfig()
	flag.IntVar(&cfg.Samples, "n", cfg.Samples, "samples, drawn deterministically from the corpus")
	flag.IntVar(&cfg.InFlight, "c", cfg.InFlight, "samples in flight (environments)")
	flag.IntVar(&cfg.PoolSize, "p", cfg.PoolSize, "interpreters in the pool; native processes at once")
	flag.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "timeout per sample")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the draw")
	flag.StringVar(&cfg.Python, "python", cfg.Python, "native interpreter of the baselines")
	flag.Int64Var(&cfg.Memory, "memory", cfg.Memory, "memory limit per interpreter or native process, bytes")
	flag.DurationVar(&cfg.YieldAfter, "yield-after", 0, "CPU time after which a sandboxed call yields to shorter ones (0: the pool's default; negative: never)")
	modes := flag.String("modes", "default,shared,fresh,session,native,torchrl", "modes to run, in order")
	runs := flag.Int("runs", 1, "times to run the modes over")
	jsonOut := flag.String("json", "", "also write the reports as JSON to this file")
	traceOut := flag.String("trace", "", "write a Go execution trace of the runs to this file (go tool trace): where a stall went")
	flag.Parse()
	if *traceOut != "" {
		stop, err := startTrace(*traceOut)
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
	}

	ctx := context.Background()
	python, err := scoring.ResolvePython(ctx, cfg.Python)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Python = python
	samples := scoring.Draw(cfg.Samples, cfg.Seed)
	var reports []scoring.Report
	for range *runs {
		for _, m := range strings.Split(*modes, ",") {
			before := loadAverage()
			rep, err := scoring.Run(ctx, cfg, scoring.Mode(m), samples)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(os.Stderr, "%s: %.1f samples/s, %d spurious timeouts, %d of %d heavy timed out, %d wrong verdicts, %d Execute errors, deadlines overshot by %v at most; load average %s before, %s after\n",
				m, rep.PerSecond, rep.SpuriousTimeouts, rep.Heavy, rep.HeavyTotal, rep.Wrong, rep.ExecErrors, rep.OvershootMax.Truncate(time.Millisecond), before, loadAverage())
			for _, w := range rep.WrongSample {
				fmt.Fprintf(os.Stderr, "  %s\n", w)
			}
			if rep.ExecError != "" {
				fmt.Fprintf(os.Stderr, "  first Execute error: %s\n", rep.ExecError)
			}
			reports = append(reports, rep)
		}
	}
	if *runs > 1 {
		fmt.Fprint(os.Stderr, scoring.Broken(reports))
	}
	fmt.Printf("%d samples, %d in flight, pool of %d, timeout %v, seed %d; no executor can score them faster than %.0f samples/s (scoring.Ceiling)\n\n",
		cfg.Samples, cfg.InFlight, cfg.PoolSize, cfg.Timeout, cfg.Seed, scoring.Ceiling(cfg, samples))
	fmt.Print(scoring.Table(reports))
	if *jsonOut != "" {
		b, err := json.MarshalIndent(reports, "", "  ")
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// startTrace starts a Go execution trace into path and returns what ends
// it.
func startTrace(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		trace.Stop()
		if err := f.Close(); err != nil {
			log.Print(err)
		}
	}, nil
}

// loadAverage is the 1-minute load average, "?" where /proc/loadavg is not
// readable: the figures depend on what else the machine runs.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
