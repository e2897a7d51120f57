// Command scoring runs the RL scoring workload of issue 7 in each mode and
// the native baseline, one after the other on the same samples, and prints
// a Markdown table (see bench/scoring/README.md):
//
//	go run ./bench/scoring/cmd/scoring [-n 600] [-c 128] [-p 32] [-timeout 2s] [-modes default,shared,fresh,session,native] [-json out.json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/sandhost/sandhost/bench/scoring"
)

func main() {
	cfg := scoring.DefaultConfig()
	flag.IntVar(&cfg.Samples, "n", cfg.Samples, "samples, drawn deterministically from the corpus")
	flag.IntVar(&cfg.InFlight, "c", cfg.InFlight, "samples in flight (environments)")
	flag.IntVar(&cfg.PoolSize, "p", cfg.PoolSize, "interpreters in the pool; native processes at once")
	flag.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "timeout per sample")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the draw")
	flag.StringVar(&cfg.Python, "python", cfg.Python, "native interpreter of the baseline")
	modes := flag.String("modes", "default,shared,fresh,session,native", "modes to run, in order")
	jsonOut := flag.String("json", "", "also write the reports as JSON to this file")
	flag.Parse()

	ctx := context.Background()
	python, err := scoring.ResolvePython(ctx, cfg.Python)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Python = python
	samples := scoring.Draw(cfg.Samples, cfg.Seed)
	var reports []scoring.Report
	for _, m := range strings.Split(*modes, ",") {
		rep, err := scoring.Run(ctx, cfg, scoring.Mode(m), samples)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "%s: %.1f samples/s, %d spurious timeouts, %d wrong verdicts, %d Execute errors\n",
			m, rep.PerSecond, rep.SpuriousTimeouts, rep.Wrong, rep.ExecErrors)
		for _, w := range rep.WrongSample {
			fmt.Fprintf(os.Stderr, "  %s\n", w)
		}
		if rep.ExecError != "" {
			fmt.Fprintf(os.Stderr, "  first Execute error: %s\n", rep.ExecError)
		}
		reports = append(reports, rep)
	}
	fmt.Printf("%d samples, %d in flight, pool of %d, timeout %v, seed %d\n\n", cfg.Samples, cfg.InFlight, cfg.PoolSize, cfg.Timeout, cfg.Seed)
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
