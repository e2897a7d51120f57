package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Files a run writes into its output directory, beside the charts.
const (
	ResultFile = "result.json"
	TableFile  = "results.md"
)

// Write writes a result, its table and its charts into dir (Run does;
// again from a result.json read back, the charts of a past run).
func Write(dir string, res *Result) error {
	files, err := charts(dir, res)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, TableFile), []byte(Markdown(res, files)), 0o644); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	return nil
}

// Markdown is the run as Markdown: the machine, then a table per
// scenario with every figure's median, p50/p99 and ratios to the
// baselines of its group (baselines in italics), then the charts.
func Markdown(res *Result, charts []string) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "# sandhost benchmarks (%s mode)\n\n", res.Mode)
	fmt.Fprintf(&b, "`%s` at %s, %s, %.0f s; Redis: %s.\n\n", res.Command, m.Commit, res.Started.Format("2006-01-02 15:04 MST"), res.Seconds, res.Redis)
	fmt.Fprintf(&b, "Machine: %s, %d cores, %d MiB, Linux %s; %s; CPython in the sandbox %s; baselines %s", m.CPU, m.Cores, m.MemoryMB, m.Kernel, m.Go, m.CPython, m.Python)
	if m.NativePython != "" {
		fmt.Fprintf(&b, " and %s", m.NativePython)
	}
	fmt.Fprintf(&b, "; %s. Load average %.1f at the start, %.1f at the end.", m.Redis, m.LoadStart, m.LoadEnd)
	if !m.RaisesThreads {
		b.WriteString(" This process could not raise a thread it had lowered (no CAP_SYS_NICE): long calls stood aside at the guests' priority, so the RL workload scores lower and its deadlines hold less tightly than with it.")
	}
	b.WriteString("\n\n")
	b.WriteString("Each figure is the median of its runs; p50/p99 are over every call of every run; a ratio is the figure " +
		"over the baseline named (*baselines in italics*), measured in the same run.\n")
	for _, s := range res.Scenarios {
		fmt.Fprintf(&b, "\n## %s\n\n", s.Title)
		if s.Error != "" {
			fmt.Fprintf(&b, "**Stopped:** %s\n\n", s.Error)
		}
		b.WriteString("| group | subject | median | p50 / p99 ms | ratio | runs | counts |\n|---|---|---|---|---|---|---|\n")
		for _, group := range groups(s.Figures) {
			for i, f := range group {
				g := ""
				if i == 0 {
					g = f.Group
				}
				subject := f.Subject
				if f.Baseline {
					subject = "*" + subject + "*"
				}
				lat := "-"
				if f.P99 > 0 {
					lat = num(f.P50) + " / " + num(f.P99)
				}
				fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s | %d | %s |\n", g, subject, num(f.Median), f.Unit, lat, ratios(f), len(f.Runs), counts(f.Counts))
			}
		}
		for _, q := range s.Context {
			fmt.Fprintf(&b, "\nContext, not measured here: %s, %s %s (%s).", q.What, num(q.Value), q.Unit, q.Source)
		}
		if len(s.Context) > 0 {
			b.WriteString("\n")
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "\nNote: %s\n", n)
		}
	}
	if len(charts) > 0 {
		b.WriteString("\n## Charts\n\n")
		for _, c := range charts {
			fmt.Fprintf(&b, "![%s](%s)\n", strings.TrimSuffix(c, ".svg"), c)
		}
	}
	return b.String()
}

// ratios writes a figure's ratios, the direction that wins said once.
func ratios(f *Figure) string {
	if len(f.Ratios) == 0 {
		return "-"
	}
	var parts []string
	for _, r := range f.Ratios {
		parts = append(parts, fmt.Sprintf("%sx %s", num(r.Value), r.Baseline))
	}
	return strings.Join(parts, "; ") + " (" + f.Better + " is better)"
}

func counts(c map[string]int) string {
	if len(c) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range sortedKeys(c) {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), c[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
