package scoring

import (
	"context"
	"testing"
	"time"
)

// The TorchRL baseline is read as a scorer wanting "ran to the end" must
// read it: a warning alone on stderr passes (TorchRL's Success says no), an
// exception's report or a dead process fails, its timeout message times
// out.
func TestTorchRLVerdict(t *testing.T) {
	for _, c := range []struct {
		res  torchrlResult
		want Verdict
	}{
		{torchrlResult{Success: true}, Pass},
		{torchrlResult{Stderr: "<string>:2: SyntaxWarning: \"is\" with a literal. Did you mean \"==\"?\n", ReturnCode: 1}, Pass},
		{torchrlResult{Stderr: "<string>:1: DeprecationWarning: invalid escape sequence '\\w'\n  WORD = re.compile(\"\\w+\")\n", ReturnCode: 1}, Pass},
		{torchrlResult{Stderr: "Error: boom\nTraceback:\nTraceback (most recent call last):\nValueError: boom\n", ReturnCode: 1}, Fail},
		{torchrlResult{Stderr: "Process terminated with return code 1 - ", ReturnCode: 1}, Fail},
		{torchrlResult{Stderr: "Process not initialized or terminated. Accumulated errors: ", ReturnCode: 1}, Fail},
		{torchrlResult{Stderr: timedOutMessage, ReturnCode: -1}, Timeout},
	} {
		if got := c.res.verdict(); got != c.want {
			t.Errorf("verdict of %+v = %s, want %s", c.res, got, c.want)
		}
	}
}

// The baseline has TorchRL's faults, which is what it is there to show:
// on one process, an answer's own module-level import is not a global of
// its functions (NameError on a new process), what a sample defines is
// seen by the next ones (an import another answer forgot, a rebound
// builtin), and a timeout restarts the process, which clears that state.
func TestTorchRLBaselineKeepsItsFaults(t *testing.T) {
	cfg := Config{Samples: 7, InFlight: 1, PoolSize: 1, Timeout: 3 * time.Second, Python: nativePython(t)}
	samples := []struct {
		a    Answer
		want Verdict // what the baseline gives, right or not
	}{
		{Answer{Problem: "own import", Kind: KindCorrect, Code: "import math\n\ndef root(n):\n    return math.isqrt(n)\n\nassert root(16) == 4\n"}, Fail},
		{Answer{Problem: "import forgotten", Kind: KindNoImport, Code: "def root2(n):\n    return math.isqrt(n)\n\nassert root2(9) == 3\n"}, Pass},
		{Answer{Problem: "rebind", Kind: KindRebind, Code: "list = [3, 1, 4]\n"}, Pass},
		{Answer{Problem: "uses list", Kind: KindCorrect, Code: "assert list((1,)) == [1]\n"}, Fail},
		{Answer{Problem: "loop", Kind: KindLoop, Code: "while True:\n    pass\n"}, Timeout},
		{Answer{Problem: "uses list after restart", Kind: KindCorrect, Code: "assert list((1,)) == [1]\n"}, Pass},
		{Answer{Problem: "warning", Kind: KindWarning, Code: "x = 0\nif x is 0:\n    pass\n"}, Pass},
	}
	ctx := context.Background()
	pool, err := startTorchRLPool(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.close()
	var answers []Answer
	for _, s := range samples {
		answers = append(answers, s.a)
	}
	r := drive(ctx, cfg.InFlight, answers, pool.score)
	for i, o := range r.outcomes {
		if o.Err != nil || o.Got != samples[i].want {
			t.Errorf("%s: got %s (%v, %s), want %s", o.Answer.Problem, o.Got, o.Err, o.Stderr, samples[i].want)
		}
	}
	if w := r.outcomes[6]; w.Success {
		t.Error("a warning on stderr left TorchRL's Success true")
	}
	if rep := report(ModeTorchRL, cfg, r); rep.Wrong != 3 || rep.Timeouts != 1 {
		t.Errorf("%d wrong verdicts and %d timeouts, want 3 (own import, forgotten import, rebound list) and 1", rep.Wrong, rep.Timeouts)
	}
}
