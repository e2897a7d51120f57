package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testhost"
)

// The demo is a text tour: --json is refused before anything starts, not
// ignored with the tour printed where a script expects JSON. (The binary,
// not run: a demo that did start in this process would start the test
// binary as its second host.)
func TestDemoRefusesJSON(t *testing.T) {
	cmd := exec.Command(testhost.Binary(t), "demo", "--json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || len(out) != 0 || !strings.Contains(stderr.String(), "no JSON output") {
		t.Fatalf("host demo --json: %v, stdout %q, stderr %q; want a usage error (exit 2) saying there is no JSON output", err, out, stderr.String())
	}
}
