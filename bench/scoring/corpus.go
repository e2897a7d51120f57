// Package scoring is the RL scoring workload of issue 7: model-written
// answers to MBPP-style problems, graded by asserts, sent to the Python
// executor at high concurrency as RL environments do, and to two baselines:
// a native python3 process per sample, and a TorchRL-style pool of
// persistent python3 processes. It reports throughput, latency, and whether
// each verdict is the one native CPython gives.
//
// corpus.go holds the data types, problems.go the problems, variants.go the
// model-like answers made from them, draw.go the deterministic workload,
// run.go the runners (sandhost modes), native.go the process per sample,
// torchrl.go the TorchRL baseline, report.go the figures.
package scoring

// Problem is one MBPP-style task: Answer is a correct solution defining
// Func, Tests the asserts that grade it, Wrong a plausible answer that fails
// them. Raise, Loop and Memory, when set, are hand-written answers that
// raise, never finish, or need more memory than the executor's limit; when
// empty, variants.go makes generic ones.
type Problem struct {
	Name   string
	Func   string
	Answer string
	Tests  string
	Wrong  string
	Raise  string
	Loop   string
	Memory string
}

// Kind is the sort of model output a sample stands for.
type Kind string

// Kinds of answers, each with the verdict native CPython gives it (see
// Kind.Expect).
const (
	KindCorrect  Kind = "correct"  // the problem's answer
	KindWrong    Kind = "wrong"    // an assert fails
	KindRaise    Kind = "raise"    // raises before or while the tests run
	KindLoop     Kind = "loop"     // never finishes: must time out
	KindHeavy    Kind = "heavy"    // correct, with ~0.2-0.4 s of native CPU first
	KindWarning  Kind = "warning"  // correct, but compiling it prints a SyntaxWarning
	KindRebind   Kind = "rebind"   // correct, rebinds a builtin at module level (list = [3, 1, 4])
	KindNoImport Kind = "noimport" // the answer without its imports: NameError unless state leaked
	KindMemory   Kind = "memory"   // allocates far beyond the memory limit (a table sized for the worst case): MemoryError
)

// Kinds lists every Kind in a fixed order (for reports).
var Kinds = []Kind{KindCorrect, KindWrong, KindRaise, KindLoop, KindHeavy, KindWarning, KindRebind, KindNoImport, KindMemory}

// Verdict is how a sample is scored: whether the program ran to the end
// without an exception or a non-zero exit (Pass), did not (Fail), or was
// stopped at its deadline (Timeout). Output on stderr plays no part.
type Verdict string

// Verdicts.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Timeout Verdict = "timeout"
)

// Expect is the verdict native CPython gives an answer of kind k under the
// executor's memory limit, checked for every answer of the corpus by
// TestScoringCorpusVerdicts.
func (k Kind) Expect() Verdict {
	switch k {
	case KindWrong, KindRaise, KindNoImport, KindMemory:
		return Fail
	case KindLoop:
		return Timeout
	default:
		return Pass
	}
}

// Answer is one program to score: a model's answer followed by the
// problem's tests.
type Answer struct {
	Problem string
	Kind    Kind
	Code    string
}

// Expect is the verdict the answer must get.
func (a Answer) Expect() Verdict { return a.Kind.Expect() }
