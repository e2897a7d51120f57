package scoring

import (
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// The verdict is "ran to the end": stderr does not matter, sys.exit(0)
// passes, and a call that waited past its deadline in the queue is a
// timeout like one stopped while running.
func TestVerdictOf(t *testing.T) {
	for _, c := range []struct {
		res  pyexec.Result
		want Verdict
	}{
		{pyexec.Result{Stderr: "<string>:1: SyntaxWarning: \"is\" with a literal\n"}, Pass},
		{pyexec.Result{Failure: pyexec.FailExit, ReturnCode: 0}, Pass},
		{pyexec.Result{Failure: pyexec.FailExit, ReturnCode: 2}, Fail},
		{pyexec.Result{Failure: pyexec.FailException, ReturnCode: 1}, Fail},
		{pyexec.Result{Failure: pyexec.FailMemory}, Fail},
		{pyexec.Result{Failure: pyexec.FailTimeout}, Timeout},
		{pyexec.Result{Failure: pyexec.FailQueued}, Timeout},
	} {
		if got := verdictOf(c.res); got != c.want {
			t.Errorf("verdictOf(%+v) = %s, want %s", c.res, got, c.want)
		}
	}
}

// A timeout of a quick answer is spurious, not a wrong verdict, and a heavy
// answer's is counted apart from both; a looping answer that did not time
// out is wrong; errors are counted apart; Success is compared with the
// verdict.
func TestReportCounts(t *testing.T) {
	a := func(k Kind) Answer { return Answer{Problem: "p", Kind: k} }
	r := report(ModeDefault, DefaultConfig(), run{wall: time.Second, outcomes: []Outcome{
		{Answer: a(KindCorrect), Got: Pass, Success: true, Latency: 10 * time.Millisecond},
		{Answer: a(KindWarning), Got: Pass, Success: false, Latency: 20 * time.Millisecond},
		{Answer: a(KindHeavy), Got: Timeout, Failure: "timeout", Latency: 2050 * time.Millisecond, Overshoot: 50 * time.Millisecond},
		{Answer: a(KindHeavy), Got: Pass, Success: true, Latency: 400 * time.Millisecond},
		{Answer: a(KindWrong), Got: Timeout, Failure: "queued", Latency: 2010 * time.Millisecond, Overshoot: 10 * time.Millisecond},
		{Answer: a(KindLoop), Got: Fail, Latency: 30 * time.Millisecond},
		{Answer: a(KindRebind), Got: Fail, Latency: 30 * time.Millisecond},
		{Answer: a(KindNoImport), Err: pyexec.ErrClosed, Latency: time.Millisecond},
	}})
	if r.SpuriousTimeouts != 1 || r.Passing != 0 || r.Queued != 1 {
		t.Errorf("spurious timeouts %d (passing %d, queued %d), want 1 (0, 1): the heavy answer is not one", r.SpuriousTimeouts, r.Passing, r.Queued)
	}
	if r.Heavy != 1 || r.HeavyTotal != 2 {
		t.Errorf("heavy timed out %d of %d, want 1 of 2", r.Heavy, r.HeavyTotal)
	}
	if r.Wrong != 2 || r.WrongByKind[KindLoop] != 1 || r.WrongByKind[KindRebind] != 1 {
		t.Errorf("wrong %d %v, want loop 1 and rebind 1", r.Wrong, r.WrongByKind)
	}
	if r.ExecErrors != 1 || r.Timeouts != 2 || r.OvershootMax != 50*time.Millisecond || r.Late != 0 {
		t.Errorf("exec errors %d, timeouts %d, max overshoot %v, late %d; want 1, 2, 50ms, 0", r.ExecErrors, r.Timeouts, r.OvershootMax, r.Late)
	}
	if r.SuccessDisagrees != 1 {
		t.Errorf("Success disagrees %d times, want 1 (the warning)", r.SuccessDisagrees)
	}
	if r.PerSecond != 8 {
		t.Errorf("%v samples/s, want 8", r.PerSecond)
	}
}

// A timed-out sample is late only past the 100 ms promise.
func TestReportCountsLateTimeouts(t *testing.T) {
	a := Answer{Problem: "p", Kind: KindLoop}
	r := report(ModeDefault, DefaultConfig(), run{wall: time.Second, outcomes: []Outcome{
		{Answer: a, Got: Timeout, Overshoot: 100 * time.Millisecond},
		{Answer: a, Got: Timeout, Overshoot: 101 * time.Millisecond},
		{Answer: a, Got: Timeout, Overshoot: 2 * time.Millisecond},
	}})
	if r.Late != 1 || r.OvershootMax != 101*time.Millisecond {
		t.Errorf("late %d, max overshoot %v; want 1, 101ms", r.Late, r.OvershootMax)
	}
}

// Over repeated runs, a run counts as late only past the 100 ms promise,
// and each mode's line counts its own runs.
func TestBrokenCountsRunsPerMode(t *testing.T) {
	got := Broken([]Report{
		{Mode: ModeDefault, PerSecond: 130, OvershootMax: 40 * time.Millisecond},
		{Mode: ModeFresh, PerSecond: 60, OvershootMax: 101 * time.Millisecond, Wrong: 1},
		{Mode: ModeDefault, PerSecond: 110, OvershootMax: 300 * time.Millisecond, SpuriousTimeouts: 2},
		{Mode: ModeDefault, PerSecond: 120, OvershootMax: 100 * time.Millisecond},
	})
	want := "default: 3 runs; 1 missed a deadline by more than 100ms, 0 with wrong verdicts, 1 with spurious timeouts, 0 with Execute errors; samples/s 110.0 / 120.0 / 130.0 (min / median / max); worst overshoot 100 ms / 300 ms (median / max)\n" +
		"fresh: 1 runs; 1 missed a deadline by more than 100ms, 1 with wrong verdicts, 0 with spurious timeouts, 0 with Execute errors; samples/s 60.0 / 60.0 / 60.0 (min / median / max); worst overshoot 101 ms / 101 ms (median / max)\n"
	if got != want {
		t.Errorf("Broken =\n%s\nwant\n%s", got, want)
	}
}
