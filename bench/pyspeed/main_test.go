package main

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// The sandboxed CPython computes what the system python3 computes on every
// workload, and the table has a row per workload and a column per subject:
// what a comparison of builds relies on. (A tiny scale: no timing is
// asserted.)
func TestWorkloadsRunAlike(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("the baseline needs python3:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	p := params{scale: 0.002, reps: 1}
	if err := run(ctx, &out, nil, named{{"python3", "python3"}}, []string{"wazy"}, 2, p); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	names := workloadNames()
	if len(names) < 10 || !slices.Contains(names, "genexpr") {
		t.Fatalf("workloads read from workloads.py: %v", names)
	}
	if len(lines) != len(names)+3 { // header, rule, geometric mean
		t.Fatalf("%d lines for %d workloads:\n%s", len(lines), len(names), out.String())
	}
	for i, name := range names {
		row := lines[i+2]
		if !strings.HasPrefix(row, "| "+name+" |") || strings.Count(row, " ms") != 2 {
			t.Errorf("row %q: want %s with two figures", row, name)
		}
	}
	if !strings.Contains(lines[0], "sandbox wazy (x python3)") {
		t.Errorf("header: %s", lines[0])
	}
}
