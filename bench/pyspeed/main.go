// Command pyspeed compares CPython builds on CPU-bound microbenchmarks
// (workloads.py: loops, calls, attributes, strings, dicts, recursion,
// sorting, json, big integers, large copies): the sandboxed wasm builds on
// each engine beside native interpreters, the same CPython built natively
// first. It is the tool behind RATIONALE.md's "Python speed" figures:
//
//	go run ./bench/pyspeed                                   # the cached build, wazy, against native
//	go run ./bench/pyspeed -engine wazy,wazero -rounds 7
//	go run ./bench/pyspeed -build old=DIR1 -build new=DIR2  # two builds side by side
//
// Each round runs every subject once, in turn, so that load on the machine
// falls on all of them alike; a subject's figure for a workload is the
// median over rounds of its fastest repetition within a run (with -fastest,
// the fastest of all). -cpu measures CPU time instead, each workload run
// alone less a run of none (start-up, parsing): waiting for a core does not
// count, but a busy sibling hyperthread still does, so on a loaded machine
// only large differences show. Every subject must compute the same values,
// so a build whose flags broke the interpreter is an error, not a speed.
//
// To see where the sandbox's time goes, build this with -tags perfmap (wazy
// then names its compiled functions in /tmp/perf-PID.map) and run it under
// `perf record` with SANDHOST_CACHE set to an empty directory: code loaded
// from the compilation cache is not named.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sandhost/sandhost/internal/stats"
	"github.com/sandhost/sandhost/pyexec"
)

// named is a NAME=VALUE flag that may repeat.
type named [][2]string

func (n *named) String() string { return fmt.Sprint(*n) }
func (n *named) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	*n = append(*n, [2]string{name, val})
	return nil
}

func main() {
	var builds, natives named
	flag.Var(&builds, "build", "NAME=DIR: a python-wasm build directory (repeat; default: the one the executor finds)")
	flag.Var(&natives, "native", "NAME=PATH: a native CPython (repeat; default: the first build's native twin and python3; none=: none)")
	engines := flag.String("engine", "wazy", "engines to run the builds on, comma-separated")
	rounds := flag.Int("rounds", 5, "rounds; each runs every subject once")
	reps := flag.Int("reps", 3, "repetitions of each workload within a run")
	scale := flag.Float64("scale", 1, "work per repetition, relative to the default")
	only := flag.String("only", "", "workloads to run, comma-separated (default: all)")
	partial := flag.String("partial", "", "a file to write the table so far to after each round")
	fastest := flag.Bool("fastest", false, "report the fastest run instead of the median")
	cpu := flag.Bool("cpu", false, "measure CPU time, a run per workload, rather than wall time within a run (steadier on a loaded machine)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p := params{scale: *scale, reps: *reps, fastest: *fastest, cpu: *cpu, partial: *partial}
	if *only != "" {
		p.only = strings.Split(*only, ",")
	}
	if err := run(ctx, os.Stdout, builds, natives, strings.Split(*engines, ","), *rounds, p); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, builds, natives named, engines []string, rounds int, p params) error {
	if len(builds) == 0 {
		a, err := pyexec.FindArtefacts("")
		if err != nil {
			return err
		}
		builds = named{{"sandbox", a.Dir}}
	}
	if len(natives) == 0 {
		if py := nativeTwin(builds[0][1]); py != "" {
			natives = append(natives, [2]string{"native build", py})
		}
		natives = append(natives, [2]string{"python3", "python3"})
	}
	var subjects []subject
	defer func() {
		for _, s := range subjects {
			s.Close()
		}
	}()
	for _, n := range natives {
		if n[0] == "none" {
			continue
		}
		subjects = append(subjects, native{n[0], n[1]})
	}
	// The builds' pools start at once: each compiles its python.wasm
	// (tens of seconds the first time), which the cores can share.
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	pools := make([]subject, len(builds)*len(engines))
	for i, b := range builds {
		for j, e := range engines {
			wg.Go(func() {
				s, err := newSandboxed(ctx, b[0]+" "+e, b[1], e)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				pools[i*len(engines)+j] = s
			})
		}
	}
	wg.Wait()
	for _, s := range pools {
		if s != nil {
			subjects = append(subjects, s)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// best[subject][workload]: each round's figure.
	best := make([]map[string][]time.Duration, len(subjects))
	var order []string
	var want map[string]Workload
	check := func(s subject, ws map[string]Workload) error {
		if want == nil {
			want = ws
			for _, name := range workloadNames() {
				if _, ok := ws[name]; ok {
					order = append(order, name)
				}
			}
		}
		for name, w := range ws {
			if w.Result != want[name].Result {
				return fmt.Errorf("pyspeed: %s computed %s = %s, %s computed %s", s.Name(), name, w.Result, subjects[0].Name(), want[name].Result)
			}
		}
		return nil
	}
	for r := range rounds {
		for i, s := range subjects {
			ws, _, err := s.Run(ctx, p)
			if err == nil {
				err = check(s, ws)
			}
			if err != nil {
				return err
			}
			if best[i] == nil {
				best[i] = map[string][]time.Duration{}
			}
			for _, name := range order {
				d := ws[name].Best()
				if p.cpu {
					if d, err = cpuTime(ctx, s, p, name); err != nil {
						return err
					}
				}
				best[i][name] = append(best[i][name], d)
			}
		}
		fmt.Fprintf(os.Stderr, "pyspeed: round %d of %d done\n", r+1, rounds)
		if p.partial != "" { // the table so far, for a run that may be cut short
			var b strings.Builder
			writeTable(&b, subjects, order, best, quantile(p))
			if err := os.WriteFile(p.partial, []byte(b.String()), 0o644); err != nil {
				return err
			}
		}
	}
	writeTable(w, subjects, order, best, quantile(p))
	return nil
}

// quantile is the order statistic the figures are.
func quantile(p params) float64 {
	if p.fastest {
		return 0
	}
	return 0.5
}

// cpuTime is the CPU time of one repetition of a workload: a run of it
// alone, less a run of none (start-up, parsing; the calibration).
func cpuTime(ctx context.Context, s subject, p params, name string) (time.Duration, error) {
	p.reps = 1
	p.only = []string{"-"} // no workload has that name
	_, idle, err := s.Run(ctx, p)
	if err != nil {
		return 0, err
	}
	p.only = []string{name}
	_, busy, err := s.Run(ctx, p)
	return max(busy-idle, 0), err
}

// workloadNames are the workloads in workloads.py's order.
func workloadNames() []string {
	var names []string
	for _, line := range strings.Split(workloads, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), `("`); ok {
			if name, _, ok := strings.Cut(rest, `"`); ok {
				names = append(names, name)
			}
		}
	}
	return names
}

// writeTable writes each workload's q-quantile over rounds in ms and, for
// every subject after the first, its ratio to the first (the baseline).
func writeTable(w io.Writer, subjects []subject, order []string, best []map[string][]time.Duration, q float64) {
	fmt.Fprint(w, "| workload |")
	for i, s := range subjects {
		if i == 0 {
			fmt.Fprintf(w, " %s |", s.Name())
		} else {
			fmt.Fprintf(w, " %s (x %s) |", s.Name(), subjects[0].Name())
		}
	}
	fmt.Fprint(w, "\n|---|", strings.Repeat("---|", len(subjects)), "\n")
	geo := make([]float64, len(subjects))
	for _, name := range order {
		fmt.Fprintf(w, "| %s |", name)
		base := stats.Quantile(best[0][name], q)
		for i := range subjects {
			m := stats.Quantile(best[i][name], q)
			ratio := float64(m) / float64(base)
			geo[i] += math.Log(ratio)
			if i == 0 {
				fmt.Fprintf(w, " %.1f ms |", ms(m))
			} else {
				fmt.Fprintf(w, " %.1f ms (%.2fx) |", ms(m), ratio)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| geometric mean |")
	for i := range subjects {
		fmt.Fprintf(w, " %.2fx |", math.Exp(geo[i]/float64(len(order))))
	}
	fmt.Fprintln(w)
}

// nativeTwin is the CPython built natively in a build's tree (the same
// sources; build.sh keeps it), "" when that tree is gone. A build directory
// is CACHE/python-wasm/KEY and its tree CACHE/build/CPYTHON_KEY.
func nativeTwin(dir string) string {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(real, "manifest.txt"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if key, ok := strings.CutPrefix(line, "cpython_build_key="); ok {
			py := filepath.Join(filepath.Dir(filepath.Dir(real)), "build", key, "cpython", "cross-build", "build", "python")
			if _, err := os.Stat(py); err == nil {
				return py
			}
		}
	}
	return ""
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
