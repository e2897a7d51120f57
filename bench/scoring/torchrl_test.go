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
// builtin), a timeout restarts the process, which clears that state, and
// a process that exits is never replaced: a rebound str breaks the
// driver's own report of the next exception, so it exits, and every later
// sample on it fails.
func TestTorchRLBaselineKeepsItsFaults(t *testing.T) {
	cfg := Config{Samples: 10, InFlight: 1, PoolSize: 1, Timeout: 3 * time.Second, Python: nativePython(t)}
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
		{Answer{Problem: "rebinds str", Kind: KindRebind, Code: "str = \"result\"\n"}, Pass},
		{Answer{Problem: "raises", Kind: KindRaise, Code: "raise ValueError(\"no\")\n"}, Fail},
		{Answer{Problem: "after the exit", Kind: KindCorrect, Code: "assert 1 + 1 == 2\n"}, Fail},
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
	if !r.outcomes[9].Dead || r.outcomes[8].Dead {
		t.Errorf("dead process: %v before the exit, %v after; want false, true", r.outcomes[8].Dead, r.outcomes[9].Dead)
	}
	if rep := report(ModeTorchRL, cfg, r); rep.Wrong != 4 || rep.Timeouts != 1 || rep.Dead != 1 {
		t.Errorf("%d wrong verdicts, %d timeouts, %d on a dead process; want 4 (own import, forgotten import, rebound list, after the exit), 1, 1", rep.Wrong, rep.Timeouts, rep.Dead)
	}
}
