// Package bench measures sandhost's hot paths side by side with baselines,
// in one run: `make bench` or `go test -run '^$' -bench . ./bench/`.
package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/sandhost/sandhost/bench/harness"
	"github.com/sandhost/sandhost/internal/stats"
	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// When started with SANDHOST_BENCH_ECHO=URL this binary is the bare
// baseline's server: a Redis Streams request/reply echo loop with nothing
// else, in a separate process like a sandhost host.
func TestMain(m *testing.M) {
	if url := os.Getenv("SANDHOST_BENCH_ECHO"); url != "" {
		harness.ServeEcho(context.Background(), url)
		return
	}
	os.Exit(m.Run())
}

// measure runs call b.N times at the given concurrency and reports
// latency percentiles (c=1) and calls/s.
func measure(b *testing.B, concurrency int, call func(context.Context) error) {
	ctx := context.Background()
	for range 200 { // warm connections and caches
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next sync.Mutex
	i := 0
	b.ResetTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= b.N {
					return
				}
				s := time.Now()
				if err := call(ctx); err != nil {
					b.Error(err)
					return
				}
				lat[k] = time.Since(s)
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(float64(stats.Quantile(lat, 0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(stats.Quantile(lat, 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
}

// BenchmarkRoundTrip: a call from this process to a service owned by a
// separate host process, through a real redis-server on loopback, beside a
// bare Redis Streams request/reply probe between two processes.
func BenchmarkRoundTrip(b *testing.B) {
	rs := testredis.Start(b)
	url := rs.URL()
	testhost.Start(b, url, "bench")
	ctx := context.Background()
	r, err := registry.Open(ctx, url, registry.WithNamespace("bench"), registry.ClientOnly())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	h, err := r.Register(ctx, "tok", "tokenizer", registry.WithArgs(registry.TokenizerArgs{VocabSize: 50000}), registry.WithMaxConcurrency(64))
	if err != nil {
		b.Fatal(err)
	}
	echo := exec.Command(os.Args[0])
	echo.Env = append(os.Environ(), "SANDHOST_BENCH_ECHO="+url)
	out, _ := echo.StdoutPipe()
	if err := echo.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { echo.Process.Kill(); echo.Wait() })
	buf := make([]byte, 6)
	out.Read(buf) // "ready\n"
	bare, err := harness.NewBareClient(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bare.Close) // before the echo server is killed: cleanups run last first

	payload := []byte(`"hi"`)
	sandhost := func(ctx context.Context) error {
		_, err := h.Call(ctx, "encode", payload)
		return err
	}
	for _, c := range []int{1, 32} {
		b.Run(fmt.Sprintf("sandhost/c=%d", c), func(b *testing.B) { measure(b, c, sandhost) })
		b.Run(fmt.Sprintf("bare-streams/c=%d", c), func(b *testing.B) {
			measure(b, c, func(ctx context.Context) error { return bare.Call(ctx, payload) })
		})
	}
}
