package scoring

import "math/rand/v2"

// weights is how often each kind is drawn, out of 100: mostly answers that
// pass (correct, warning, rebind, heavy), as a policy being trained writes
// them, with enough wrong, raising, looping and memory-hungry ones to cost
// what they cost.
var weights = map[Kind]int{
	KindCorrect:  26,
	KindWrong:    12,
	KindRaise:    8,
	KindLoop:     4,
	KindHeavy:    8,
	KindWarning:  12,
	KindRebind:   14,
	KindNoImport: 12,
	KindMemory:   4,
}

// Draw returns n answers drawn from the corpus with the given seed: the
// same n and seed give the same samples in the same order, so every mode
// and the baseline score the same workload.
func Draw(n int, seed uint64) []Answer {
	byKind := map[Kind][]Answer{}
	for _, a := range Answers() {
		byKind[a.Kind] = append(byKind[a.Kind], a)
	}
	total := 0
	for _, k := range Kinds {
		total += weights[k]
	}
	rng := rand.New(rand.NewPCG(seed, 0x5c0))
	out := make([]Answer, 0, n)
	for len(out) < n {
		pick := rng.IntN(total)
		for _, k := range Kinds {
			if pick -= weights[k]; pick < 0 {
				as := byKind[k]
				out = append(out, as[rng.IntN(len(as))])
				break
			}
		}
	}
	return out
}
