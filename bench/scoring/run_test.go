package scoring

import (
	"context"
	"testing"
	"time"
)

// Each sandhost mode runs the state model it is named after: on one
// interpreter, a builtin rebound by one sample breaks the next in shared
// mode and in the TorchRL baseline (TorchRL's service mode, what the
// harness compares against) and not in the default one.
func TestModesRunTheirStateModel(t *testing.T) {
	samples := []Answer{
		{Problem: "rebind", Kind: KindRebind, Code: "list = [3, 1, 4]"},
		{Problem: "uses list", Kind: KindCorrect, Code: "assert list((1,)) == [1]"},
	}
	cfg := Config{Samples: len(samples), InFlight: 1, PoolSize: 1, Timeout: 30 * time.Second}
	for mode, wrong := range map[Mode]int{ModeShared: 1, ModeTorchRL: 1, ModeDefault: 0} {
		rep, err := Run(context.Background(), cfg, mode, samples)
		if err != nil {
			t.Fatal(err)
		}
		if rep.ExecErrors != 0 || rep.Wrong != wrong {
			t.Errorf("%s: %d wrong verdicts (want %d), %d Execute errors: %v %s", mode, rep.Wrong, wrong, rep.ExecErrors, rep.WrongSample, rep.ExecError)
		}
	}
}
