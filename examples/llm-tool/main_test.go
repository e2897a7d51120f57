package main

import (
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestToolMessages(t *testing.T) {
	out, err := exampletest.Command().CombinedOutput()
	if err != nil {
		t.Fatalf("example failed: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		`env 0: "Code block 1 executed successfully:\n6765\n"`,           // turn 1: fib defined and run
		`env 1: "Code block 1 failed:`,                                   // no host files in the sandbox
		`No such file or directory: '/etc/passwd'`,                       //
		`env 2: "Code block 1 failed:`,                                   // the infinite loop is stopped
		`env 0: "Code block 1 executed successfully:\n[0, 1, 1, 2, 3, 5`, // turn 2: the session kept fib
		`name 'fib' is not defined`,                                      // env 2 was reset
		`env 3: "Code block 1 executed successfully:\n['1', '22']\n"`,    // a warning is not a failure
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "== turn"); n != 2 {
		t.Errorf("%d turns printed, want 2:\n%s", n, got)
	}
}
