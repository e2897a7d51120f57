package scoring

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sandhost/sandhost/internal/stats"
	"github.com/sandhost/sandhost/pyexec"
)

// Report is the figures of one mode on one workload.
type Report struct {
	Mode      Mode
	Config    Config
	Samples   int
	Wall      time.Duration
	PerSecond float64
	P50, P99  time.Duration // latency from submission to result
	// Latencies are every sample's latency (P50 and P99 are theirs).
	Latencies []time.Duration
	// SpuriousTimeouts are the quick samples (every kind but loop and
	// heavy: they finish natively in a small fraction of the timeout) that
	// came back timed out, issue 7's "spurious timeouts": Queued of them
	// with pyexec's "queued" reason, Passing of them expected to pass (the
	// ones an RL loop scores as the model's fault).
	SpuriousTimeouts int
	Queued           int
	Passing          int
	// Heavy are the heavy answers (0.2-0.4 s of CPU natively) that timed
	// out, of HeavyTotal in the run: apart, since they time out under
	// enough load in every mode, the native baselines included.
	Heavy      int
	HeavyTotal int
	// Wrong are the other verdicts that differ from native CPython's, by
	// kind of answer (a missed timeout, a leak of state, a warning scored as
	// a failure).
	Wrong       int
	WrongByKind map[Kind]int
	WrongSample []string // a few, with their last line of stderr
	// Overshoot is, for the timed-out samples, how long after the deadline
	// they returned (the promise is at most 100 ms).
	Timeouts                   int
	OvershootP50, OvershootMax time.Duration
	// Late are the timed-out samples that returned more than
	// DeadlinePromise after their deadline.
	Late             int
	ExecErrors       int
	ExecError        string // the first
	SuccessDisagrees int    // TorchRL's Success flag != (verdict == pass)
	// Dead are the samples the TorchRL baseline answered from a process
	// that had exited (see Outcome.Dead): fast, and failed whatever the
	// answer.
	Dead int
}

// report computes the figures of one run.
func report(mode Mode, cfg Config, r run) Report {
	rep := Report{Mode: mode, Config: cfg, Samples: len(r.outcomes), Wall: r.wall, WrongByKind: map[Kind]int{}}
	rep.PerSecond = float64(len(r.outcomes)) / r.wall.Seconds()
	var lat, over []time.Duration
	for _, o := range r.outcomes {
		lat = append(lat, o.Latency)
		if o.Answer.Kind == KindHeavy {
			rep.HeavyTotal++
		}
		if o.Err != nil {
			if rep.ExecErrors == 0 {
				rep.ExecError = o.Err.Error()
			}
			rep.ExecErrors++
			continue
		}
		if o.Got == Timeout {
			rep.Timeouts++
			over = append(over, o.Overshoot)
			if o.Overshoot > DeadlinePromise {
				rep.Late++
			}
		}
		if o.Dead {
			rep.Dead++
		}
		if o.Success != (o.Got == Pass) {
			rep.SuccessDisagrees++
		}
		want := o.Answer.Expect()
		switch {
		case o.Got == want:
		case o.Got == Timeout && o.Answer.Kind == KindHeavy:
			rep.Heavy++
		case o.Got == Timeout:
			rep.SpuriousTimeouts++
			if want == Pass {
				rep.Passing++
			}
			if o.Failure == string(pyexec.FailQueued) {
				rep.Queued++
			}
		default:
			rep.Wrong++
			rep.WrongByKind[o.Answer.Kind]++
			if len(rep.WrongSample) < 5 {
				rep.WrongSample = append(rep.WrongSample, fmt.Sprintf("%s/%s: want %s, got %s (%s)", o.Answer.Problem, o.Answer.Kind, want, o.Got, o.Stderr))
			}
		}
	}
	rep.Latencies = lat
	rep.P50, rep.P99 = stats.Quantile(lat, 0.50), stats.Quantile(lat, 0.99)
	rep.OvershootP50 = stats.Quantile(over, 0.50)
	if len(over) > 0 {
		rep.OvershootMax = slices.Max(over)
	}
	return rep
}

// Table writes reports as a Markdown table, one row per mode, with the
// ratio of each mode's throughput to the native baseline's when present.
func Table(reports []Report) string {
	var native float64
	for _, r := range reports {
		if r.Mode == ModeNative {
			native = r.PerSecond
		}
	}
	var b strings.Builder
	b.WriteString("| mode | samples/s | vs native | p50 / p99 | spurious timeouts of quick answers (of passing, queued) | heavy timed out | wrong verdicts | timeouts: overshoot p50 / max | Execute errors | Success disagrees |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range reports {
		ratio := "-"
		if native > 0 {
			ratio = fmt.Sprintf("%.2fx", r.PerSecond/native)
		}
		dead := ""
		if r.Dead > 0 {
			dead = fmt.Sprintf("; %d samples on exited processes", r.Dead)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %s | %s / %s | %d (%d, %d) | %d of %d | %d%s%s | %d: %s / %s | %d | %d |\n",
			r.Mode, r.PerSecond, ratio, ms(r.P50), ms(r.P99), r.SpuriousTimeouts, r.Passing, r.Queued, r.Heavy, r.HeavyTotal,
			r.Wrong, byKind(r.WrongByKind), dead, r.Timeouts, ms(r.OvershootP50), ms(r.OvershootMax), r.ExecErrors, r.SuccessDisagrees)
	}
	return b.String()
}

// byKind writes wrong verdicts by kind, " (rebind 3, noimport 9)".
func byKind(m map[Kind]int) string {
	var parts []string
	for _, k := range Kinds {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// ms writes d in milliseconds, or seconds above 10 s.
func ms(d time.Duration) string {
	if d >= 10*time.Second || d <= -10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// DeadlinePromise is how late past its deadline issue 7 lets a timed-out
// call return.
const DeadlinePromise = 100 * time.Millisecond

// Broken summarises reports of repeated runs, one line per mode in the
// order first seen: how many runs missed a deadline by more than
// DeadlinePromise or gave a wrong verdict, a spurious timeout or an
// Execute error, and the spread of throughput and of the worst overshoot.
func Broken(reports []Report) string {
	var order []Mode
	byMode := map[Mode][]Report{}
	for _, r := range reports {
		if _, ok := byMode[r.Mode]; !ok {
			order = append(order, r.Mode)
		}
		byMode[r.Mode] = append(byMode[r.Mode], r)
	}
	var b strings.Builder
	for _, m := range order {
		var late, wrong, spurious, errs int
		var rates []float64
		var worst []time.Duration
		for _, r := range byMode[m] {
			if r.OvershootMax > DeadlinePromise {
				late++
			}
			if r.Wrong > 0 {
				wrong++
			}
			if r.SpuriousTimeouts > 0 {
				spurious++
			}
			if r.ExecErrors > 0 {
				errs++
			}
			rates = append(rates, r.PerSecond)
			worst = append(worst, r.OvershootMax)
		}
		slices.Sort(rates)
		slices.Sort(worst)
		fmt.Fprintf(&b, "%s: %d runs; %d missed a deadline by more than %v, %d with wrong verdicts, %d with spurious timeouts, %d with Execute errors; samples/s %.1f / %.1f / %.1f (min / median / max); worst overshoot %s / %s (median / max)\n",
			m, len(byMode[m]), late, DeadlinePromise, wrong, spurious, errs,
			rates[0], rates[len(rates)/2], rates[len(rates)-1], ms(worst[len(worst)/2]), ms(worst[len(worst)-1]))
	}
	return b.String()
}
