package harness

import "time"

// SchemaID names the JSON form a run is written in (schema.json).
const SchemaID = "sandhost-bench/1"

// Result is one run of the harness: what the JSON file holds.
type Result struct {
	Schema  string    `json:"schema"`
	Mode    Mode      `json:"mode"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"` // the run's wall time
	Command string    `json:"command"` // how to run it again
	// Redis is where the cross-host figures ran: the embedded Redis, and
	// the Redis given (its password removed) or a redis-server started.
	Redis     string        `json:"redis"`
	Machine   Machine       `json:"machine"`
	Scenarios []ScenarioRun `json:"scenarios"`
}

// ScenarioRun is what one scenario measured.
type ScenarioRun struct {
	ID      string    `json:"id"` // scoring, python, registry, plugins, memory
	Title   string    `json:"title"`
	Seconds float64   `json:"seconds"`
	Figures []*Figure `json:"figures"`
	// Context are published figures quoted beside the run, never measured
	// here (Ray's microbenchmarks, E2B's samples/s).
	Context []Quote  `json:"context,omitempty"`
	Notes   []string `json:"notes,omitempty"` // what was left out and why
	Error   string   `json:"error,omitempty"` // the scenario stopped here
}

// Figure is one subject measured in a group: a sandhost figure, or a
// baseline the group's other figures are divided by.
type Figure struct {
	Group    string `json:"group"`   // what is compared ("tiny snippet round trip")
	Subject  string `json:"subject"` // who ("sandhost, isolated", "python3 3.11, persistent process")
	Baseline bool   `json:"baseline"`
	Unit     string `json:"unit"` // ms, ops/s, samples/s, MiB, s
	// Better is "lower" or "higher": which way a ratio is a win.
	Better string `json:"better"`
	// Concurrency, PoolSize and Sessions place the figure on the charts'
	// x axes (0 when they do not apply).
	Concurrency int `json:"concurrency,omitempty"`
	PoolSize    int `json:"pool_size,omitempty"`
	Sessions    int `json:"sessions,omitempty"`
	// Runs are the value of each repeated run (a latency figure: the run's
	// median); Median is their median.
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
	// P50 and P99 are the latencies of the figure's operations in ms, over
	// every operation of every run (a throughput figure's calls or samples
	// too, whatever its Unit); 0 where none were timed.
	P50 float64 `json:"p50,omitempty"`
	P99 float64 `json:"p99,omitempty"`
	// Ratios is Median over each baseline's Median in the group.
	Ratios []Ratio `json:"ratios,omitempty"`
	// Counts are the figure's events (timeouts, wrong verdicts, errors).
	Counts map[string]int `json:"counts,omitempty"`
	// Latencies is a sample of the operations' latencies in ms (at most
	// maxKept, evenly spaced in sorted order), for the distribution charts.
	Latencies []float64 `json:"latencies_ms,omitempty"`
}

// Ratio is a figure's median over one baseline's.
type Ratio struct {
	Baseline string  `json:"baseline"` // the baseline's Subject
	Value    float64 `json:"value"`
}

// Quote is a published figure given as context.
type Quote struct {
	What   string  `json:"what"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Source string  `json:"source"`
}

// ratios fills every figure's Ratios from the baselines of its group.
func (s *ScenarioRun) ratios() {
	for _, f := range s.Figures {
		f.Ratios = nil
		for _, b := range s.Figures {
			if b.Baseline && b != f && b.Group == f.Group && b.Median > 0 {
				f.Ratios = append(f.Ratios, Ratio{Baseline: b.Subject, Value: f.Median / b.Median})
			}
		}
	}
}
