package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// scenario is one of the scenarios.
type scenario struct {
	id, title string
	run       func(ctx context.Context, b *bench, s *ScenarioRun) error
}

// scenarios is the table of scenarios, in Scenarios' order.
var scenarios = []scenario{
	{"scoring", "1. RL reward workload", runScoring},
	{"python", "2. Python executor", runPython},
	{"registry", "3. Registry", runRegistry},
	{"plugins", "4. Wasm plugins", runPlugins},
	{"memory", "5. Memory", runMemory},
}

// bench is one run in progress: its config, sizes, baselines' interpreters
// and what it started.
type bench struct {
	cfg    Config
	sz     sizes
	python string // system python3, resolved
	native string // the natively built CPython of the wasm build, or ""
	// redisURL is the real Redis of the cross-host figures: the given one
	// or a redis-server started on first use ("" and redisErr when none).
	redisURL string
	redisErr error
	stops    []func()
	progress io.Writer
}

// Run runs the scenarios cfg asks for and writes result.json, results.md
// and the charts into cfg.OutDir. A scenario that fails is recorded with
// its error and the others still run; the error returned is for a run that
// could not start or write.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := pingRedis(ctx, cfg.Redis); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	py, err := systemPython(ctx, cfg.Python)
	if err != nil {
		return nil, fmt.Errorf("harness: the baselines need python3: %w", err)
	}
	b := &bench{cfg: cfg, sz: cfg.Mode.sizes(), python: py, native: nativeBuild(ctx, cfg.NativePython),
		redisURL: cfg.Redis, progress: cfg.Progress}
	if b.progress == nil {
		b.progress = io.Discard
	}
	defer b.stopAll()
	res := &Result{Schema: SchemaID, Mode: cfg.Mode, Started: time.Now().UTC(), Command: cfg.Command,
		Redis: "embedded", Machine: describe(ctx, cfg, py, b.native)}
	if cfg.Redis != "" {
		res.Redis = redactURL(cfg.Redis)
	}
	for _, sc := range scenarios {
		if !cfg.wants(sc.id) {
			continue
		}
		s := ScenarioRun{ID: sc.id, Title: sc.title, Figures: []*Figure{}}
		fmt.Fprintf(b.progress, "== %s\n", sc.title)
		t0 := time.Now()
		if err := sc.run(ctx, b, &s); err != nil {
			s.Error = err.Error()
			fmt.Fprintf(b.progress, "   %s stopped: %v\n", sc.id, err)
		}
		s.Seconds = time.Since(t0).Seconds()
		s.ratios()
		res.Scenarios = append(res.Scenarios, s)
		if ctx.Err() != nil {
			break
		}
	}
	if cfg.Redis == "" && b.redisURL != "" {
		res.Redis = "embedded, and a redis-server the run started"
	}
	res.Seconds = time.Since(res.Started).Seconds()
	res.Machine.LoadEnd = loadAvg()
	if err := Write(cfg.OutDir, res); err != nil {
		return res, err
	}
	return res, ctx.Err()
}

// add records a figure and says it on the progress writer; a baseline
// comes with the ratios of the group's figures to it.
func (b *bench) add(s *ScenarioRun, f *Figure) {
	s.Figures = append(s.Figures, f)
	line := fmt.Sprintf("   %s | %s: %s %s", f.Group, f.Subject, num(f.Median), f.Unit)
	if f.P99 > 0 {
		line += fmt.Sprintf(" (p50 %s ms, p99 %s ms)", num(f.P50), num(f.P99))
	}
	fmt.Fprintln(b.progress, line)
	if !f.Baseline || f.Median == 0 {
		return
	}
	for _, o := range s.Figures {
		if !o.Baseline && o.Group == f.Group {
			fmt.Fprintf(b.progress, "      %s: %sx %s (%s is better)\n", o.Subject, num(o.Median/f.Median), f.Subject, o.Better)
		}
	}
}

// note records why something was left out.
func (b *bench) note(s *ScenarioRun, format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	s.Notes = append(s.Notes, n)
	fmt.Fprintln(b.progress, "   note: "+n)
}

// atEnd runs stop when the run ends (in reverse order).
func (b *bench) atEnd(stop func()) { b.stops = append(b.stops, stop) }

func (b *bench) stopAll() {
	for i := len(b.stops) - 1; i >= 0; i-- {
		b.stops[i]()
	}
}

// realRedis is the URL of the run's real Redis: the given one, else a
// redis-server started once for the run.
func (b *bench) realRedis(ctx context.Context) (string, error) {
	if b.redisURL != "" || b.redisErr != nil {
		return b.redisURL, b.redisErr
	}
	p, url, err := startRedis(ctx)
	if err != nil {
		b.redisErr = err
		return "", err
	}
	b.atEnd(p.stop)
	b.redisURL = url
	return url, nil
}

// redisCheckTimeout bounds the check of a given Redis: an address that
// drops packets would otherwise hold the run for go-redis's retries.
const redisCheckTimeout = 10 * time.Second

// pingRedis checks a given Redis before anything is measured, so that a
// mistyped URL is heard of at once rather than when the registry scenario
// starts, minutes in (ErrConfig).
func pingRedis(ctx context.Context, url string) error {
	if url == "" {
		return nil
	}
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("%w: Redis %s: %w", ErrConfig, redactURL(url), err)
	}
	opt.MaxRetries = -1 // a refused connection is an answer
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, redisCheckTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: Redis %s: %w", ErrConfig, redactURL(url), err)
	}
	return nil
}

// redactURL drops a password from a Redis URL.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if i := strings.Index(u, "://"); i >= 0 && i < at {
			return u[:i+3] + "…" + u[at:]
		}
	}
	return u
}

// num formats a figure with 3 significant digits or so.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
