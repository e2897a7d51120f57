//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sandhost/sandhost/internal/testhost"
)

// A demo killed outright (SIGKILL, no chance to clean up) takes its second
// host process with it: no `host serve` is left running.
func TestDemoKilledTakesItsChildWithIt(t *testing.T) {
	demo := exec.Command(testhost.Binary(t), "demo")
	// A file, not a buffer: the child holds the stream, and Wait would wait
	// for it to close.
	logs, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	demo.Stderr = logs
	stdout, err := demo.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { demo.Process.Kill(); demo.Wait() })
	ready := regexp.MustCompile(`^\s*\[pid (\d+)\] ready$`)
	child := 0
	for sc := bufio.NewScanner(stdout); child == 0 && sc.Scan(); {
		if m := ready.FindStringSubmatch(sc.Text()); m != nil {
			child, _ = strconv.Atoi(m[1])
		}
	}
	if child == 0 {
		demo.Wait()
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("the demo did not say its second host was ready; stderr:\n%s", b)
	}
	// Stopped, the demo cannot kill the child itself at its step 6.
	if err := demo.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	pidfd, err := unix.PidfdOpen(child, 0)
	if err != nil {
		t.Fatalf("the second host (pid %d) is not running while the demo is: %v", child, err)
	}
	t.Cleanup(func() { // a child left running is the failure: not left behind too
		unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
		unix.Close(pidfd)
	})
	if err := demo.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	demo.Wait()
	// The pidfd is readable once the child has exited; a minute bounds the
	// wait for a child that was never told to go.
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 60_000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("the second host (pid %d) still runs a minute after the demo was killed", child)
		}
		return
	}
}
