package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/bench/scoring"
)

// scoringModes are bench/scoring's modes, sandhost's state models first;
// the baselines are marked in scoringBaselines.
var scoringModes = []scoring.Mode{scoring.ModeDefault, scoring.ModeShared, scoring.ModeFresh, scoring.ModeSession,
	scoring.ModeNative, scoring.ModeTorchRL}

// scoringBaselines are the modes that are not sandhost: a python3 process
// per sample (SandboxFusion, verl's default) and TorchRL's executor (a pool
// of persistent python3 processes, marker and poll).
var scoringBaselines = map[scoring.Mode]string{
	scoring.ModeNative:  "python3 process per sample",
	scoring.ModeTorchRL: "TorchRL-style pool of persistent python3 processes",
}

// runScoring is scenario 1: model answers scored at InFlight environments
// on a pool, every mode on the same draw, the baselines in the same run;
// then a longer run of the default model beside a process per sample.
func runScoring(ctx context.Context, b *bench, s *ScenarioRun) error {
	cfg := scoring.DefaultConfig()
	cfg.Samples, cfg.InFlight, cfg.PoolSize, cfg.Python = b.sz.samples, b.sz.inFlight, b.sz.scorePool, b.python
	if b.cfg.Mode == Smoke {
		cfg.Timeout = time.Second // a loop costs its timeout
	}
	repeats := 1 // the workload is long: a full run's 600 samples take minutes natively
	if b.cfg.Mode == Full {
		repeats = 2
	}
	modes := scoringModes
	if b.cfg.Mode == Smoke { // one state model goes through the scenario
		modes = []scoring.Mode{scoring.ModeDefault, scoring.ModeNative, scoring.ModeTorchRL}
	}
	samples := scoring.Draw(cfg.Samples, cfg.Seed)
	if err := scoreGroup(ctx, b, s, cfg, samples, modes, repeats, ""); err != nil {
		return err
	}
	s.Context = append(s.Context, Quote{What: "E2B, 64-way, in a published RL run", Value: 4.1, Unit: "samples/s",
		Source: "issue 9 (E2B's figure as quoted there)"})
	if c := scoring.Ceiling(cfg, samples); c > 0 {
		s.Context = append(s.Context, Quote{What: fmt.Sprintf("the most any executor could score the %d samples at (they hold loops: a run lasts a timeout)", cfg.Samples),
			Value: c, Unit: "samples/s", Source: "computed: scoring.Ceiling"})
	}
	if b.sz.sustained == 0 {
		return nil
	}
	cfg.Samples = b.sz.sustained
	return scoreGroup(ctx, b, s, cfg, scoring.Draw(cfg.Samples, cfg.Seed), []scoring.Mode{scoring.ModeDefault, scoring.ModeNative}, 1, " (sustained)")
}

// scoreGroup scores samples in each of modes, repeats times, as one group
// of figures; suffix tells the group apart.
func scoreGroup(ctx context.Context, b *bench, s *ScenarioRun, cfg scoring.Config, samples []scoring.Answer, modes []scoring.Mode, repeats int, suffix string) error {
	group := fmt.Sprintf("%d samples%s, %d in flight, pool of %d, %s timeout", cfg.Samples, suffix, cfg.InFlight, cfg.PoolSize, cfg.Timeout)
	for _, mode := range modes {
		var perSec []float64
		var lat []time.Duration
		counts := map[string]int{}
		for range repeats {
			rep, err := scoring.Run(ctx, cfg, mode, samples)
			if err != nil {
				return err
			}
			perSec = append(perSec, rep.PerSecond)
			lat = append(lat, rep.Latencies...)
			// Counts add up over the repeats: a wrong verdict in any run shows.
			counts["timeouts"] += rep.Timeouts
			counts["late_timeouts"] += rep.Late // returned more than 100 ms past the deadline
			counts["spurious_timeouts"] += rep.SpuriousTimeouts
			counts["wrong_verdicts"] += rep.Wrong
			counts["execute_errors"] += rep.ExecErrors
			if rep.Dead > 0 { // TorchRL: answered by a process that had exited
				counts["answered_by_dead_process"] += rep.Dead
			}
		}
		subject, baseline := scoringBaselines[mode]
		if !baseline {
			subject = "sandhost, " + string(mode)
		}
		f := valueFigure(Figure{Group: group, Subject: subject, Baseline: baseline, Unit: "samples/s", Better: "higher",
			Concurrency: cfg.InFlight, PoolSize: cfg.PoolSize, Counts: counts}, perSec)
		f.setLatencies(lat) // over every sample of every run, as for the other figures
		b.add(s, f)
	}
	return nil
}
