// Package exampletest lets an example's test run the example program as a
// user does, in a process of its own, without a separate build: the test
// binary doubles as the program.
package exampletest

import (
	"os"
	"os/exec"
	"testing"
)

// runEnv marks a child process that runs the example instead of its tests.
const runEnv = "SANDHOST_RUN_EXAMPLE"

// Main is the example test's TestMain: in a child started by Command it
// runs the program's main, otherwise the tests.
func Main(m *testing.M, main func()) {
	if os.Getenv(runEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Command is the example program with args, to start from a test.
func Command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runEnv+"=1")
	return cmd
}
