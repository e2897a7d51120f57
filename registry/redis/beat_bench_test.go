package redis

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sandhost/sandhost/internal/testredis"
	"github.com/sandhost/sandhost/registry/driver"
)

// BenchmarkBeat is one heartbeat of a host that owns 10,000 services, and
// the reap that follows it: what each host asks of the store every third
// of a TTL while the namespace is that large.
func BenchmarkBeat(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	srv := testredis.Start(b)
	for name, dsn := range map[string]string{"embedded": "embedded://", "redis": srv.URL()} {
		b.Run(name, func(b *testing.B) {
			be, err := Driver{}.Open(ctx, dsn, "bench-beat")
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			host := driver.HostInfo{ID: "h1"}
			if _, err := be.Beat(ctx, host, time.Minute, nil); err != nil {
				b.Fatal(err)
			}
			owned := make([]driver.Spec, n)
			for i := range owned {
				sp, err := be.Claim(ctx, driver.Spec{Name: "svc-" + strconv.Itoa(i), Factory: "noop", Owner: host.ID})
				if err != nil {
					b.Fatal(err)
				}
				owned[i] = sp
			}
			b.Run("beat", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					stop, err := be.Beat(ctx, host, time.Minute, owned)
					if err != nil || len(stop) > 0 {
						b.Fatalf("Beat: stop %v, %v", stop, err)
					}
				}
			})
			// Every host reaps after each beat.
			b.Run("reap", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := be.Reap(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
