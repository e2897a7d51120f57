package harness

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// chartSize is every chart's size.
const chartW, chartH = 7 * vg.Inch, 4 * vg.Inch

// charts draws the run's charts into dir and returns their file names:
// latency distributions of the groups that kept latencies, throughput
// against concurrency, scaling with pool size, memory with sessions, and
// the scoring workload's samples/s.
func charts(dir string, res *Result) ([]string, error) {
	var files []string
	save := func(p *plot.Plot, name string) (err error) {
		defer func() { // gonum panics on data it cannot draw: a chart lost, not the run
			if v := recover(); v != nil {
				err = fmt.Errorf("harness: chart %s: %v", name, v)
			}
		}()
		if err := p.Save(chartW, chartH, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("harness: chart %s: %w", name, err)
		}
		files = append(files, name)
		return nil
	}
	for _, s := range res.Scenarios {
		for _, group := range groups(s.Figures) {
			if p := latencyChart(group); p != nil {
				if err := save(p, "latency-"+slug(group[0].Group)+".svg"); err != nil {
					return files, err
				}
			}
		}
		if p := concurrencyChart(s); p != nil {
			if err := save(p, "throughput-"+s.ID+".svg"); err != nil {
				return files, err
			}
		}
		if p := scalingChart(s); p != nil {
			if err := save(p, "scaling-"+s.ID+".svg"); err != nil {
				return files, err
			}
		}
		if s.ID == "scoring" {
			if p := barChart(s); p != nil {
				if err := save(p, "scoring.svg"); err != nil {
					return files, err
				}
			}
		}
	}
	return files, nil
}

// groups are the figures by group, in first-seen order.
func groups(fs []*Figure) [][]*Figure {
	var out [][]*Figure
	at := map[string]int{}
	for _, f := range fs {
		i, ok := at[f.Group]
		if !ok {
			i = len(out)
			at[f.Group] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], f)
	}
	return out
}

// latencyChart is the latency at each percentile of each figure of a
// group: for latency figures, and throughput figures of one caller.
func latencyChart(group []*Figure) *plot.Plot {
	var lines []any
	for _, f := range group {
		if len(f.Latencies) < 5 || (f.Unit != "ms" && f.Concurrency != 1) {
			continue
		}
		pts := make(plotter.XYs, len(f.Latencies))
		for i, v := range f.Latencies {
			pts[i] = plotter.XY{X: 100 * float64(i) / float64(len(f.Latencies)-1), Y: max(v, 1e-4)}
		}
		lines = append(lines, f.Subject, pts)
	}
	if len(lines) < 4 { // two figures at least
		return nil
	}
	p := newPlot(group[0].Group, "percentile of calls", "latency, ms (log)")
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	if plotutil.AddLines(p, lines...) != nil {
		return nil
	}
	legendRoom(p, len(lines)/2, true)
	return p
}

// concurrencyChart is throughput against concurrency, a line per subject
// measured at two concurrencies or more.
func concurrencyChart(s ScenarioRun) *plot.Plot {
	series := map[string]plotter.XYs{}
	var order []string
	for _, f := range s.Figures {
		if f.Better != "higher" || f.Concurrency == 0 || strings.Contains(f.Group, "by pool size") {
			continue
		}
		if _, ok := series[f.Subject]; !ok {
			order = append(order, f.Subject)
		}
		series[f.Subject] = append(series[f.Subject], plotter.XY{X: float64(f.Concurrency), Y: f.Median})
	}
	var lines []any
	for _, name := range order {
		if distinctX(series[name]) >= 2 { // a line, not runs of other sizes at one concurrency
			lines = append(lines, name, series[name])
		}
	}
	if len(lines) == 0 {
		return nil
	}
	p := newPlot(s.Title+": throughput against concurrency", "callers at once (log)", "per second (log)")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	if plotutil.AddLinePoints(p, lines...) != nil {
		return nil
	}
	legendRoom(p, len(lines)/2, true)
	return p
}

// distinctX counts the different x values of xys.
func distinctX(xys plotter.XYs) int {
	seen := map[float64]bool{}
	for _, xy := range xys {
		seen[xy.X] = true
	}
	return len(seen)
}

// legendRoom raises the y axis's top so that the legend's lines (top
// right) sit above the data: a tenth of the axis per line.
func legendRoom(p *plot.Plot, lines int, log bool) {
	if log {
		if p.Y.Min > 0 && p.Y.Max > p.Y.Min {
			p.Y.Max *= math.Pow(p.Y.Max/p.Y.Min, 0.1*float64(lines))
		}
		return
	}
	p.Y.Min = min(p.Y.Min, 0)
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.1 * float64(lines)
}

// scalingChart is sandhost's figures of a "by pool size" group against
// the pool's size, the baseline as a flat line; or the host's memory
// against the sessions open, beside a process per session.
func scalingChart(s ScenarioRun) *plot.Plot {
	var pts plotter.XYs
	var base []*Figure
	var title, unit string
	for _, f := range s.Figures {
		switch {
		case strings.Contains(f.Group, "by pool size"):
			title, unit = f.Group, f.Unit
		case strings.HasPrefix(f.Group, "host RSS"):
			title, unit = "host memory with sessions", f.Unit
		default:
			continue
		}
		if f.Baseline {
			base = append(base, f)
		} else if x := xOf(f); x > 0 {
			pts = append(pts, plotter.XY{X: x, Y: f.Median})
		}
	}
	if len(pts) < 2 || len(base) == 0 {
		return nil
	}
	xlabel := "interpreters in the pool"
	lines := []any{"sandhost", pts}
	if strings.HasPrefix(title, "host memory") {
		xlabel = "sessions"
		var b plotter.XYs
		for _, f := range base {
			if x := xOf(f); x > 0 {
				b = append(b, plotter.XY{X: x, Y: f.Median})
			}
		}
		lines = append(lines, "native: a process per session", b)
	} else {
		lo, hi := slices.MinFunc(pts, byX).X, slices.MaxFunc(pts, byX).X
		lines = append(lines, base[0].Subject, plotter.XYs{{X: lo, Y: base[0].Median}, {X: hi, Y: base[0].Median}})
	}
	p := newPlot(title, xlabel+" (log)", unit)
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	if plotutil.AddLinePoints(p, lines...) != nil {
		return nil
	}
	legendRoom(p, len(lines)/2, false)
	return p
}

// xOf is a figure's place on a scaling chart's x axis: its sessions, else
// its pool size.
func xOf(f *Figure) float64 {
	if f.Sessions > 0 {
		return float64(f.Sessions)
	}
	return float64(f.PoolSize)
}

func byX(a, b plotter.XY) int {
	switch {
	case a.X < b.X:
		return -1
	case a.X > b.X:
		return 1
	}
	return 0
}

// barChart is each scoring mode's samples/s, on the first group (every
// mode on the same draw).
func barChart(s ScenarioRun) *plot.Plot {
	if len(s.Figures) == 0 {
		return nil
	}
	var figs []*Figure
	for _, f := range s.Figures {
		if f.Group == s.Figures[0].Group {
			figs = append(figs, f)
		}
	}
	vals := make(plotter.Values, len(figs))
	names := make([]string, len(figs))
	for i, f := range figs {
		vals[i], names[i] = f.Median, strings.TrimPrefix(f.Subject, "sandhost, ")
		if w := strings.Fields(names[i]); f.Baseline && len(w) > 2 {
			names[i] = w[0] + " " + w[1] + "*" // baselines: their first words, marked
		}
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil
	}
	bars.Color = color.RGBA{R: 60, G: 110, B: 180, A: 255}
	p := newPlot(s.Figures[0].Group, "* baseline", s.Figures[0].Unit)
	p.Add(bars)
	p.NominalX(names...)
	return p
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug is a file name part made of s.
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}
