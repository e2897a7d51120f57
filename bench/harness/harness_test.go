package harness_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sandhost/sandhost/bench/harness"
	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/internal/threadprio"
)

// schema compiles harness.Schema.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(harness.Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSmokeRunWritesValidResults runs `host bench --mode smoke` (the least
// work that goes through every scenario, their baselines and every
// writer; the binary is built without -race, which would slow the
// interpreters' Go side several times over) and checks what a user reads: a result.json valid against the
// schema, every scenario with figures and no error, a ratio to a baseline
// for every sandhost figure, the table and the charts. No timing is
// asserted.
func TestSmokeRunWritesValidResults(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command(testhost.Binary(t), "bench", "--mode", "smoke", "--out", out)
	var progress bytes.Buffer
	cmd.Stderr = &progress
	err := cmd.Run()
	t.Log(progress.String())
	if err != nil {
		t.Fatalf("host bench: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(out, harness.ResultFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, schema(t), b); err != nil {
		var verr *jsonschema.ValidationError
		if errors.As(err, &verr) {
			out, _ := json.Marshal(verr.BasicOutput())
			t.Fatalf("result.json does not follow the schema: %s", out)
		}
		t.Fatalf("result.json does not follow the schema: %v", err)
	}
	var res harness.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if want := threadprio.MayRaise(); res.Machine.RaisesThreads != want {
		t.Errorf("raises_threads %v, but this process may raise threads: %v", res.Machine.RaisesThreads, want)
	}
	if len(res.Scenarios) != len(harness.Scenarios) {
		t.Fatalf("scenarios %d, want %d", len(res.Scenarios), len(harness.Scenarios))
	}
	table, err := os.ReadFile(filepath.Join(out, harness.TableFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Scenarios {
		t.Logf("%s: %.1f s", s.ID, s.Seconds)
		if s.Error != "" {
			t.Errorf("%s stopped: %s", s.ID, s.Error)
		}
		if len(s.Figures) == 0 {
			t.Errorf("%s: no figure", s.ID)
		}
		for _, f := range s.Figures {
			if !f.Baseline && len(f.Ratios) == 0 {
				t.Errorf("%s: %s / %s has no ratio to a baseline", s.ID, f.Group, f.Subject)
			}
			if f.Unit == "MiB" && f.Median <= 0 {
				t.Errorf("%s: %s / %s: a size of %v MiB", s.ID, f.Group, f.Subject, f.Median)
			}
		}
		if !strings.Contains(string(table), "## "+s.Title) {
			t.Errorf("results.md has no section %q", s.Title)
		}
	}
	charts, _ := filepath.Glob(filepath.Join(out, "*.svg"))
	for _, want := range []string{"scoring.svg", "throughput-registry.svg", "scaling-python.svg", "scaling-memory.svg"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("no chart %s (have %v)", want, charts)
		}
	}
	for _, c := range charts {
		svg, _ := os.ReadFile(c)
		if !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s is not an SVG", c)
		}
		if !strings.Contains(string(table), filepath.Base(c)) {
			t.Errorf("results.md does not show %s", filepath.Base(c))
		}
	}
}

// TestSchemaRefusesABrokenResult: the CI check can fail, for a result with
// no machine or a figure in an unknown unit.
func TestSchemaRefusesABrokenResult(t *testing.T) {
	s := schema(t)
	good := []byte(`{"schema": "sandhost-bench/1", "mode": "smoke", "started": "2026-11-26T03:00:00Z", "seconds": 1,
		"command": "host bench", "redis": "embedded", "machine": {"cpu": "x", "cores": 2, "memory_mb": 1, "kernel": "6",
		"go": "go1.26", "cpython": "3.13.5", "python": "/usr/bin/python3 (3.11.2)", "native_python": "", "redis": "7",
		"commit": "abc", "raises_threads": true, "load_start": 1, "load_end": 1},
		"scenarios": [{"id": "python", "title": "2. Python executor", "seconds": 1, "figures": [
			{"group": "g", "subject": "sandhost", "baseline": false, "unit": "ms", "better": "lower", "runs": [1], "median": 1,
			 "ratios": [{"baseline": "python3", "value": 0.5}]},
			{"group": "g", "subject": "python3", "baseline": true, "unit": "ms", "better": "lower", "runs": [2], "median": 2}]}]}`)
	if err := validate(t, s, good); err != nil {
		t.Fatalf("a valid result refused: %v", err)
	}
	for name, bad := range map[string]string{
		"no machine":   strings.Replace(string(good), `"machine"`, `"machin"`, 1),
		"unknown unit": strings.Replace(string(good), `"unit": "ms"`, `"unit": "seconds"`, 1),
		"no runs":      strings.Replace(string(good), `"runs": [1]`, `"runs": []`, 1),
	} {
		if err := validate(t, s, []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestGivenRedisIsLeftAsFound: a run on a user's Redis (--redis) deletes
// what it wrote there: namespaces, the bare baseline's streams and hash.
func TestGivenRedisIsLeftAsFound(t *testing.T) {
	rs := testredis.Start(t)
	cmd := exec.Command(testhost.Binary(t), "bench", "--mode", "smoke", "--scenarios", "registry", "--redis", rs.URL(), "--out", t.TempDir())
	var progress bytes.Buffer
	cmd.Stderr = &progress
	if err := cmd.Run(); err != nil {
		t.Fatalf("host bench: %v\n%s", err, progress.String())
	}
	keys, err := rs.Client().Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Fatalf("keys left in the given Redis: %v", keys)
	}
}
