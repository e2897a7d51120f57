//go:build wasip1

// Command reward is a reward scorer for reinforcement learning: "score"
// takes {"output": model text, "reference": "42"} and gives reward 1 when
// the answer in the output (the last \boxed{…} if any, else the last
// number) equals the reference numerically (relative tolerance 1e-6),
// else 0.
package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/extism/go-pdk"
)

type request struct {
	Output    string `json:"output"`
	Reference string `json:"reference"`
}

type result struct {
	Reward float64 `json:"reward"`
	Answer string  `json:"answer"` // what was found in the output ("" none)
}

var (
	boxed  = regexp.MustCompile(`\\boxed\{([^{}]*)\}`)
	number = regexp.MustCompile(`[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`)
)

// answer finds the answer in a model's output.
func answer(out string) string {
	if m := boxed.FindAllStringSubmatch(out, -1); len(m) > 0 {
		out = m[len(m)-1][1]
	}
	nums := number.FindAllString(out, -1)
	if len(nums) == 0 {
		return ""
	}
	return nums[len(nums)-1]
}

func parse(s string) (float64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	s = strings.TrimSuffix(s, ".")
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

//go:wasmexport score
func score() int32 {
	var req request
	if err := pdk.InputJSON(&req); err != nil {
		pdk.SetError(err)
		return 1
	}
	res := result{Answer: answer(req.Output)}
	got, ok1 := parse(res.Answer)
	want, ok2 := parse(req.Reference)
	if ok1 && ok2 && math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want)) {
		res.Reward = 1
	}
	if err := pdk.OutputJSON(res); err != nil {
		pdk.SetError(err)
		return 1
	}
	return 0
}

func main() {}
