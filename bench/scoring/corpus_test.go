package scoring

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The corpus is a yardstick only if its expected verdicts are CPython's:
// every answer is run natively, under the executor's memory limit as the
// baselines run it, and must get the verdict its kind says; a memory hog
// must fail with MemoryError, not for another reason. Answers that finish
// do so in under 0.5 s of CPU, so a loop still running after loopWait is
// one; the others get a wide limit, as only the verdict is checked here,
// not speed. -S (no site module) makes each process start 2-3x faster here
// and changes nothing the corpus uses.
func TestScoringCorpusVerdicts(t *testing.T) {
	python := LimitMemory([]string{nativePython(t), "-S"}, DefaultMemory)
	const loopWait, limit = 300 * time.Millisecond, 20 * time.Second
	answers := Answers()
	counts := map[Kind]int{}
	for _, a := range answers {
		counts[a.Kind]++
	}
	if len(problems) < 100 || counts[KindNoImport] < 40 || counts[KindRebind] < len(problems) || counts[KindMemory] < len(problems) {
		t.Fatalf("corpus too small: %d problems, answers by kind %v", len(problems), counts)
	}
	ctx := context.Background()
	slots := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, a := range answers {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			timeout := limit
			if a.Kind == KindLoop {
				timeout = loopWait
			}
			v, _, stderr, _, err := RunNative(ctx, python, a.Code, timeout)
			switch {
			case err != nil:
				t.Errorf("%s/%s: %v", a.Problem, a.Kind, err)
			case v != a.Expect():
				t.Errorf("%s/%s: native CPython gives %s, the corpus expects %s\n%s\n%s", a.Problem, a.Kind, v, a.Expect(), stderr, a.Code)
			case a.Kind == KindWarning && strings.Contains(a.Code, " is 0") && !strings.Contains(stderr, "SyntaxWarning"):
				t.Errorf("%s/%s: no SyntaxWarning on stderr: %q", a.Problem, a.Kind, stderr)
			case a.Kind == KindMemory && lastLine(stderr) != "MemoryError":
				t.Errorf("%s/%s: fails with %q, not MemoryError", a.Problem, a.Kind, lastLine(stderr))
			}
		}()
	}
	wg.Wait()
}

// The same seed draws the same workload, so modes compare like with like,
// and every kind is in a draw of the default size.
func TestDrawIsDeterministic(t *testing.T) {
	a, b := Draw(600, 7), Draw(600, 7)
	kinds := map[Kind]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d differs: %s/%s vs %s/%s", i, a[i].Problem, a[i].Kind, b[i].Problem, b[i].Kind)
		}
		kinds[a[i].Kind]++
	}
	for _, k := range Kinds {
		if kinds[k] == 0 {
			t.Errorf("no %s answer in 600 samples: %v", k, kinds)
		}
	}
	if c := Draw(600, 8); slices.Equal(a, c) {
		t.Error("seeds 7 and 8 drew the same samples")
	}
}

// nativePython is the path of python3's interpreter; the baseline and the
// corpus check need it.
func nativePython(t testing.TB) string {
	p, err := ResolvePython(context.Background(), "python3")
	if err != nil {
		t.Fatalf("python3 is needed for the native baseline and the corpus check: %v", err)
	}
	return p
}
