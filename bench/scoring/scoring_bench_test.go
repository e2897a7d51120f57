package scoring

import (
	"context"
	"testing"
	"time"
)

// BenchmarkScoring runs a small version of the workload (80 samples, 32 in
// flight, a pool of 8) in each mode, the native and TorchRL baselines
// included; the full
// one is `go run ./bench/scoring/cmd/scoring`. Wrong verdicts are reported,
// not failed on: this is the yardstick issue 7 is measured with.
func BenchmarkScoring(b *testing.B) {
	cfg := Config{Samples: 80, InFlight: 32, PoolSize: 8, Timeout: 2 * time.Second, Seed: 7, Python: nativePython(b)}
	samples := Draw(cfg.Samples, cfg.Seed)
	for _, mode := range []Mode{ModeDefault, ModeShared, ModeFresh, ModeSession, ModeNative, ModeTorchRL} {
		b.Run(string(mode), func(b *testing.B) {
			var rep Report
			for range b.N {
				var err error
				if rep, err = Run(context.Background(), cfg, mode, samples); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(rep.PerSecond, "samples/s")
			b.ReportMetric(float64(rep.P99.Milliseconds()), "p99-ms")
			b.ReportMetric(float64(rep.SpuriousTimeouts), "spurious-timeouts")
			b.ReportMetric(float64(rep.Heavy), "heavy-timeouts")
			b.ReportMetric(float64(rep.Wrong), "wrong-verdicts")
			b.ReportMetric(float64(rep.ExecErrors), "exec-errors")
			b.ReportMetric(float64(rep.OvershootMax.Milliseconds()), "max-overshoot-ms")
			if mode == ModeTorchRL {
				b.ReportMetric(float64(rep.Dead), "on-exited-processes")
			}
		})
	}
}
