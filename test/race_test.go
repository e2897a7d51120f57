package test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// racerEnv makes this test binary a racer process (TestRegistrationRace
// AcrossProcesses): a host of its own that registers one name when told.
const racerEnv = "SANDHOST_TEST_RACER_REDIS"

func TestMain(m *testing.M) {
	if url := os.Getenv(racerEnv); url != "" {
		race(url)
		return
	}
	os.Exit(m.Run())
}

// race opens a host, says "ready", waits for a line on stdin, registers
// "one" itself (each racer claims over its own connections) and says how
// that went. It holds what it won until stdin closes, so a late racer
// cannot find the name free again.
func race(url string) {
	ctx := context.Background()
	r, err := registry.Open(ctx, url, registry.WithNamespace("race"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println("ready")
	in := bufio.NewReader(os.Stdin)
	in.ReadString('\n')
	_, err = r.Register(ctx, "one", "value")
	switch {
	case err == nil:
		fmt.Println("won")
	case errors.Is(err, registry.ErrExists):
		fmt.Println("exists")
	default:
		fmt.Println(err)
	}
	in.ReadString('\n') // EOF when the test ends
}

// Registration is atomic across processes: of 12 processes that each claim
// the name themselves, released together, exactly one wins. (Racing CLI
// clients only ever made the two placement hosts race.)
func TestRegistrationRaceAcrossProcesses(t *testing.T) {
	rs := testredis.Start(t)
	const n = 12
	type racer struct {
		cmd *exec.Cmd
		in  *os.File
		out *bufio.Scanner
	}
	racers := make([]racer, n)
	for i := range racers {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), racerEnv+"="+rs.URL())
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = inR
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		inR.Close()
		t.Cleanup(func() { inW.Close(); cmd.Process.Kill(); cmd.Wait() })
		racers[i] = racer{cmd: cmd, in: inW, out: bufio.NewScanner(out)}
	}
	for i, r := range racers {
		if !r.out.Scan() || r.out.Text() != "ready" {
			t.Fatalf("racer %d: %q", i, r.out.Text())
		}
	}
	for _, r := range racers {
		r.in.WriteString("go\n")
	}
	outcomes := map[string]int{}
	for _, r := range racers {
		r.out.Scan()
		outcomes[r.out.Text()]++
	}
	if outcomes["won"] != 1 || outcomes["exists"] != n-1 {
		t.Fatalf("outcomes %v, want 1 won and %d exists", outcomes, n-1)
	}
}

// ordered is a service that runs one call at a time and says which it
// started (the payload) and waits to be released.
type ordered struct {
	started chan string
	release chan struct{}
}

func (o *ordered) Call(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	o.started <- string(payload)
	select {
	case <-o.release:
		return payload, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Calls queued in the store are served in the order they came, and a call
// whose deadline passed while it was queued is answered without running.
func TestQueuedCallsInOrderAndExpiredOnesNotRun(t *testing.T) {
	rs := testredis.Start(t)
	url := rs.URL()
	r, err := registry.Open(context.Background(), url, registry.WithNamespace("order"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	svc := &ordered{started: make(chan string, 16), release: make(chan struct{})}
	if _, err := r.RegisterService(context.Background(), "o", svc, registry.WithMaxConcurrency(1)); err != nil {
		t.Fatal(err)
	}
	queue := "sandhost:{order}:q:svc:o"
	queued := func(n int64) func() bool {
		return func() bool { return rs.Client().XLen(context.Background(), queue).Val() == n }
	}
	var results []<-chan cliResult
	results = append(results, cliAsync(t, url, "order", "call", "o", "wait", "0", "--timeout", "30s"))
	if got := <-svc.started; got != "0" {
		t.Fatalf("first call %s", got)
	}
	// Each caller is a process of its own; the next starts once the one
	// before is queued (the stream holds the running call and the queued).
	for i := 1; i <= 4; i++ {
		results = append(results, cliAsync(t, url, "order", "call", "o", "wait", fmt.Sprint(i), "--timeout", "30s"))
		waitFor(t, 10*time.Second, fmt.Sprintf("call %d queued", i), queued(int64(1+i)))
	}
	expired := cliAsync(t, url, "order", "call", "o", "wait", "99", "--timeout", "1s")
	waitFor(t, 10*time.Second, "the short call queued", queued(6))
	if res := <-expired; res.code != 1 || !strings.Contains(res.e, "deadline") {
		t.Fatalf("short call: exit %d: %q", res.code, res.e)
	}
	var order []string
	order = append(order, "0")
	for range 4 {
		svc.release <- struct{}{}
		order = append(order, <-svc.started)
	}
	svc.release <- struct{}{}
	for i, res := range results {
		if r := <-res; r.code != 0 {
			t.Fatalf("call %d: exit %d: %q", i, r.code, r.e)
		}
	}
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Fatalf("calls ran in order %v", order)
	}
	// The expired call is answered (and its entry removed) without running.
	waitFor(t, 10*time.Second, "the expired call answered", queued(0))
	select {
	case p := <-svc.started:
		t.Fatalf("call %s ran after its deadline passed in the queue", p)
	default:
	}
}
