package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRefusesUnknownModesAndScenarios: a mistyped mode or scenario is
// a usage error naming what is accepted, before anything is measured (the
// run itself is bench/harness's smoke test, through this command).
func TestBenchRefusesUnknownModesAndScenarios(t *testing.T) {
	wantUsageError(t, []string{"bench", "--mode", "fast"}, `mode "fast"`, "full, quick or smoke")
	wantUsageError(t, []string{"bench", "--scenarios", "scoring,gpu"}, `scenario "gpu"`, "registry")
	wantUsageError(t, []string{"bench", "now"}, "no arguments")
}

// A --redis that cannot be reached is a usage error before anything is
// measured, not a failure of the registry scenario minutes in.
func TestBenchChecksTheRedisFirst(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "redis://" + l.Addr().String()
	l.Close()
	for _, url := range []string{closed, "notaurl"} {
		out := filepath.Join(t.TempDir(), "results")
		_, errOut, code := cli(t, nil, "bench", "--mode", "smoke", "--scenarios", "plugins", "--out", out, "--redis", url)
		if code != 2 || !strings.Contains(errOut, url) {
			t.Fatalf("bench --redis %s: exit %d, stderr %q; want a usage error naming it", url, code, errOut)
		}
		if strings.Contains(errOut, "== ") {
			t.Fatalf("bench --redis %s ran a scenario before refusing it:\n%s", url, errOut)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("bench --redis %s made its output directory (stat: %v)", url, err)
		}
	}
}
