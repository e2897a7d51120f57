// Package bench measures sandhost's hot paths side by side with baselines,
// in one run: `make bench` or `go test -run '^$' -bench . ./bench/`.
package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sandhost/sandhost/internal/testhost"
	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry"
)

// When started with SANDHOST_BENCH_ECHO=URL this binary is the bare
// baseline's server: a Redis Streams request/reply echo loop with nothing
// else, in a separate process like a sandhost host.
func TestMain(m *testing.M) {
	if url := os.Getenv("SANDHOST_BENCH_ECHO"); url != "" {
		echoServer(url)
		return
	}
	os.Exit(m.Run())
}

const bareStream = "bare:req"

func echoServer(url string) {
	opt, _ := goredis.ParseURL(url)
	opt.PoolSize = 64
	c := goredis.NewClient(opt)
	ctx := context.Background()
	c.XGroupCreateMkStream(ctx, bareStream, "g", "$")
	os.Stdout.WriteString("ready\n")
	for {
		res, err := c.XReadGroup(ctx, &goredis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{bareStream, ">"}, Count: 64, Block: time.Second}).Result()
		if err != nil {
			continue
		}
		for _, m := range res[0].Messages {
			go func() {
				c.Pipelined(ctx, func(p goredis.Pipeliner) error {
					p.XAdd(ctx, &goredis.XAddArgs{Stream: m.Values["r"].(string), MaxLen: 10000, Approx: true, Values: []any{"i", m.Values["i"], "p", m.Values["p"]}})
					p.XAck(ctx, bareStream, "g", m.ID)
					p.XDel(ctx, bareStream, m.ID)
					return nil
				})
			}()
		}
	}
}

// bareClient is the baseline caller: XADD, then one reader routing replies.
type bareClient struct {
	c       *goredis.Client
	reply   string
	mu      sync.Mutex
	seq     int
	pending map[string]chan struct{}
}

func newBareClient(b *testing.B, url string) *bareClient {
	opt, _ := goredis.ParseURL(url)
	opt.PoolSize = 64
	bc := &bareClient{c: goredis.NewClient(opt), reply: fmt.Sprintf("bare:reply:%d", time.Now().UnixNano()), pending: map[string]chan struct{}{}}
	go func() {
		last := "0-0"
		var read []string // replies to delete beside the next read, as sandhost does
		for {
			pipe := bc.c.Pipeline()
			if len(read) > 0 {
				pipe.XDel(context.Background(), bc.reply, read...)
			}
			next := pipe.XRead(context.Background(), &goredis.XReadArgs{Streams: []string{bc.reply, last}, Count: 256, Block: time.Second})
			pipe.Exec(context.Background())
			read = read[:0]
			res, err := next.Result()
			if err != nil {
				if err == goredis.ErrClosed {
					return
				}
				continue
			}
			for _, m := range res[0].Messages {
				last = m.ID
				read = append(read, m.ID)
				bc.mu.Lock()
				ch := bc.pending[m.Values["i"].(string)]
				bc.mu.Unlock()
				if ch != nil {
					close(ch)
				}
			}
		}
	}()
	b.Cleanup(func() { bc.c.Close() })
	return bc
}

func (bc *bareClient) call(ctx context.Context) error {
	bc.mu.Lock()
	bc.seq++
	id := fmt.Sprint(bc.seq)
	ch := make(chan struct{})
	bc.pending[id] = ch
	bc.mu.Unlock()
	defer func() { bc.mu.Lock(); delete(bc.pending, id); bc.mu.Unlock() }()
	if err := bc.c.XAdd(ctx, &goredis.XAddArgs{Stream: bareStream, Values: []any{"i", id, "p", `"hi"`, "r", bc.reply}}).Err(); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
	sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
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
	bare := newBareClient(b, url)

	payload := []byte(`"hi"`)
	sandhost := func(ctx context.Context) error {
		_, err := h.Call(ctx, "encode", payload)
		return err
	}
	for _, c := range []int{1, 32} {
		b.Run(fmt.Sprintf("sandhost/c=%d", c), func(b *testing.B) { measure(b, c, sandhost) })
		b.Run(fmt.Sprintf("bare-streams/c=%d", c), func(b *testing.B) { measure(b, c, bare.call) })
	}
}
