package scoring

import (
	"testing"
	"time"
)

// A draw with a loop cannot be scored in less than one timeout.
func TestCeiling(t *testing.T) {
	draw := func(n, loops int) []Answer {
		out := make([]Answer, n)
		for i := range loops {
			out[i].Kind = KindLoop
		}
		return out
	}
	cfg := Config{PoolSize: 32, Timeout: 2 * time.Second}
	for _, c := range []struct {
		n, loops int
		want     float64
	}{
		{600, 24, 300},    // issue 9's E2B x 100 (410/s) is above it
		{3000, 120, 1500}, // a longer run weighs the last timeout less
		{600, 0, 0},       // no loop: no ceiling of this kind
	} {
		if got := Ceiling(cfg, draw(c.n, c.loops)); got != c.want {
			t.Errorf("Ceiling(%d samples, %d loops) = %v, want %v", c.n, c.loops, got, c.want)
		}
	}
}
