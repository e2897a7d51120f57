package scoring

import (
	"fmt"
	"regexp"
	"strings"
)

// Answers is every answer of the corpus: for each problem, one of each kind
// it has (KindNoImport only for answers with imports), in problem order.
func Answers() []Answer {
	var out []Answer
	for i, p := range problems {
		for _, k := range Kinds {
			if body, ok := p.variant(i, k); ok {
				out = append(out, Answer{Problem: p.Name, Kind: k, Code: body + "\n" + p.Tests})
			}
		}
	}
	return out
}

// rebinds are module-level assignments that shadow a builtin, as model
// answers do with names like list or sum; the first whose name the problem
// does not use (from a rotating start) is chosen, so the answer still passes.
var rebinds = []struct{ name, line string }{
	{"list", "list = [3, 1, 4]"},
	{"sum", "sum = 0"},
	{"len", "len = 3"},
	{"max", "max = 100"},
	{"sorted", "sorted = [1, 2, 3]"},
	{"str", `str = "result"`},
	{"dict", "dict = {}"},
	{"set", "set = {1, 2}"},
	{"range", "range = 10"},
}

// memoryHogs are module-level tables a model sizes for the worst case of a
// problem's constraints, each far beyond the executor's 256 MiB (or its
// size not even addressable in wasm32), so that the allocation fails at
// once natively and in wasm alike, never after a slow climb that a timeout
// could overtake.
var memoryHogs = []string{
	"_memo = [None] * 10**9  # a cache slot for every input up to the constraint",
	"_sieve = bytearray(2**30)  # primality of every number below 2**30",
	"_squares = list(range(10**8))  # precomputed for speed",
	"_line = \"-\" * 2**30  # separator buffer",
}

// heavyLoops is the native CPU a heavy answer spends before its function
// (iterations of a Python loop: ~80 ns each natively on this machine, so
// 0.2 to 0.4 s), varied by problem.
var heavyLoops = []int{2_500_000, 3_500_000, 5_000_000}

// variant is the answer of kind k to problem p (the i-th), or false when p
// has none of that kind.
func (p Problem) variant(i int, k Kind) (string, bool) {
	switch k {
	case KindCorrect:
		return p.Answer, true
	case KindWrong:
		return p.Wrong, true
	case KindRaise:
		if p.Raise != "" {
			return p.Raise, true
		}
		// A model's "example usage" that calls the function wrongly.
		return p.Answer + fmt.Sprintf("\nprint(%s())\n", p.Func), true
	case KindLoop:
		if p.Loop != "" {
			return p.Loop, true
		}
		// A counter never incremented.
		return fmt.Sprintf("def %s(*args):\n    result = None\n    i = 0\n    while i < 10:\n        if args:\n            result = args[0]\n    return result\n", p.Func), true
	case KindHeavy:
		n := heavyLoops[i%len(heavyLoops)]
		return fmt.Sprintf("def _warm_up(n):\n    total = 0\n    for i in range(n):\n        total += i * i\n    return total\n\n\nassert _warm_up(%d) > 0\n\n", n) + p.Answer, true
	case KindWarning:
		// Both warn at compile time in CPython 3.12+; `is` with a literal
		// warns since 3.8 (the non-raw regex only since 3.12).
		if i%2 == 0 {
			return "import re\n\nWORD = re.compile(\"\\w+\")\n\n" + p.Answer, true
		}
		return "_calls = 0\nif _calls is 0:\n    _calls = 1\n\n" + p.Answer, true
	case KindRebind:
		src := p.Answer + p.Tests
		for j := range rebinds {
			r := rebinds[(i+j)%len(rebinds)]
			if !regexp.MustCompile(`\b` + r.name + `\b`).MatchString(src) {
				return r.line + "\n\n" + p.Answer, true
			}
		}
		return "", false
	case KindMemory:
		if p.Memory != "" {
			return p.Memory, true
		}
		return memoryHogs[i%len(memoryHogs)] + "\n\n" + p.Answer, true
	case KindNoImport:
		var kept []string
		lines := strings.Split(p.Answer, "\n")
		for _, l := range lines {
			if !strings.HasPrefix(l, "import ") && !strings.HasPrefix(l, "from ") {
				kept = append(kept, l)
			}
		}
		if len(kept) == len(lines) {
			return "", false
		}
		return strings.Join(kept, "\n"), true
	}
	return "", false
}
