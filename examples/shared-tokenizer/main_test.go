package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

// TestTwoHostsShareTheTokenizer runs the README's two steps: the first host
// registers the tokenizer and prints how to join; the second joins, finds the
// tokenizer already registered and calls it on the first host.
func TestTwoHostsShareTheTokenizer(t *testing.T) {
	first := exampletest.Command()
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	first.Stderr = os.Stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	lines := bufio.NewScanner(out)
	var joinURL, firstOutput string
	join := regexp.MustCompile(`join with: go run ./examples/shared-tokenizer (redis://\S+)`)
	for lines.Scan() {
		firstOutput += lines.Text() + "\n"
		if m := join.FindStringSubmatch(lines.Text()); m != nil {
			joinURL = m[1]
		}
		if strings.Contains(lines.Text(), "serving until interrupted") {
			break
		}
	}
	if joinURL == "" {
		t.Fatalf("first host printed no join address:\n%s", firstOutput)
	}
	if !strings.Contains(firstOutput, "encode(\"hello world\") = [") {
		t.Fatalf("first host did not call its tokenizer:\n%s", firstOutput)
	}

	second := exampletest.Command(joinURL)
	second.WaitDelay = 30 * time.Second
	got, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("second host: %v\n%s", err, got)
	}
	if !strings.Contains(string(got), "already runs on another host") {
		t.Errorf("second host registered its own tokenizer instead of reusing the first's:\n%s", got)
	}
	ids := regexp.MustCompile(`encode\("hello world"\) = (\[[0-9 ]+\]), owned by host (\S+)`)
	m1, m2 := ids.FindStringSubmatch(firstOutput), ids.FindStringSubmatch(string(got))
	if m1 == nil || m2 == nil {
		t.Fatalf("missing encode output:\nfirst:\n%s\nsecond:\n%s", firstOutput, got)
	}
	if m1[1] != m2[1] || m1[2] != m2[2] {
		t.Errorf("second host got %s from %s, first host %s from %s: not the same service", m2[1], m2[2], m1[1], m1[2])
	}

	// Ctrl-C stops the first host cleanly.
	if err := first.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Errorf("first host did not exit cleanly on interrupt: %v", err)
	}
}
