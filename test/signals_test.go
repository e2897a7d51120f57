package test

import (
	"bufio"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
)

// A second SIGTERM (or Ctrl-C) ends a host whose orderly stop hangs, here
// on a Redis that answers nothing, as it would end a program without a
// handler; it used to be swallowed until the stop gave up.
func TestSecondSignalEndsAHangingStop(t *testing.T) {
	rs := testredis.Start(t)
	cmd := exec.Command(testhost.Binary(t), "serve", "--redis", rs.URL(), "--namespace", "sig")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitLine(t, stdout, "ready")
	rs.Freeze()
	cmd.Process.Signal(syscall.SIGTERM)
	waitLine(t, stderr, "shutting down")
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("host after a second SIGTERM during its stop: %v; want it ended by the signal", err)
	}
}

// waitLine reads r until a line contains want.
func waitLine(t *testing.T, r io.Reader, want string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			return
		}
	}
	t.Fatalf("no line with %q before the stream ended", want)
}
