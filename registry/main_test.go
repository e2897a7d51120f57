package registry_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// Child processes of this test binary: churnEnv names the store one opens
// and closes registries on (TestNothingOnStderr); hostEnv the store and
// namespace ("URL NS") of one that is a host until killed, which is what a
// test needs of a host process without building cmd/host.
const (
	churnEnv = "SANDHOST_TEST_CHURN_REDIS"
	hostEnv  = "SANDHOST_TEST_HOST"
)

func TestMain(m *testing.M) {
	if url := os.Getenv(churnEnv); url != "" {
		if err := churn(url); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if v := os.Getenv(hostEnv); v != "" {
		url, ns, _ := strings.Cut(v, " ")
		if _, err := registry.Open(context.Background(), url, registry.WithNamespace(ns), registry.AcceptPlacement()); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("ready")
		select {} // a host until killed
	}
	os.Exit(m.Run())
}

// startHost runs a child process that is a host of ns on url, accepting
// placement, until the test ends.
func startHost(t *testing.T, url, ns string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostEnv+"="+url+" "+ns)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("host process: %q, %v: %s", line, err, stderr.String())
	}
}

// churn opens a host and a client, calls across them while the host's
// serve loop blocks in a read, and closes both, 20 times.
func churn(url string) error {
	ctx := context.Background()
	for i := range 20 {
		host, err := registry.Open(ctx, url, registry.WithNamespace("churn"), registry.AcceptPlacement())
		if err != nil {
			return err
		}
		client, err := registry.Open(ctx, url, registry.WithNamespace("churn"), registry.ClientOnly())
		if err != nil {
			return err
		}
		h, err := client.Register(ctx, fmt.Sprint("v", i), "value", registry.WithArgs(map[string]int{"value": i}))
		if err != nil {
			return err
		}
		if _, err := h.Call(ctx, "get", nil); err != nil {
			return err
		}
		if err := host.Close(); err != nil {
			return err
		}
		if err := client.Close(); err != nil {
			return err
		}
	}
	return nil
}

// A library writes nothing to stderr: go-redis printed "Unexpected conn
// state changed by hook to CLOSED" on Close in about 1 run in 4. A child
// process opens and closes registries; its stderr must stay empty.
func TestNothingOnStderr(t *testing.T) {
	rs := testredis.Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), churnEnv+"="+rs.URL())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v: %s%s", err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("registries wrote to stderr:\n%s", stderr.String())
	}
}
