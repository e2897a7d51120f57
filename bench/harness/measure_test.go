package harness

import "testing"

// TestRatiosAreToTheGroupsBaselines: every figure gets its median over
// each baseline of its own group, and none from another group.
func TestRatiosAreToTheGroupsBaselines(t *testing.T) {
	s := ScenarioRun{Figures: []*Figure{
		{Group: "a", Subject: "sandhost", Median: 3},
		{Group: "a", Subject: "python3", Baseline: true, Median: 6},
		{Group: "a", Subject: "native", Baseline: true, Median: 2},
		{Group: "b", Subject: "other", Baseline: true, Median: 1},
	}}
	s.ratios()
	got := s.Figures[0].Ratios
	if len(got) != 2 || got[0] != (Ratio{"python3", 0.5}) || got[1] != (Ratio{"native", 1.5}) {
		t.Fatalf("ratios %+v", got)
	}
	if r := s.Figures[1].Ratios; len(r) != 1 || r[0] != (Ratio{"native", 3}) {
		t.Fatalf("a baseline's ratios to the other baselines: %+v", r)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
