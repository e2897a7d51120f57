package pyexec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// Failure says why a call did not succeed.
type Failure string

// Failure reasons.
const (
	FailNone      Failure = ""
	FailException Failure = "exception"  // the code raised
	FailTimeout   Failure = "timeout"    // stopped at its deadline
	FailMemory    Failure = "memory"     // over the memory limit
	FailExit      Failure = "exit"       // sys.exit or os._exit
	FailOutputCap Failure = "output_cap" // more output than the cap; the rest was dropped
	FailCrash     Failure = "crash"      // the interpreter broke (trap)
	FailQueued    Failure = "queued"     // the deadline passed before an interpreter was free
)

// Result is the outcome of one execution: TorchRL's fields plus the
// verdict Passed, the failure reason and the times queued and running.
type Result struct {
	// Passed: the code ran to the end without an exception and without a
	// non-zero exit code. This is the verdict to score code by; warnings
	// on stderr (a SyntaxWarning, a DeprecationWarning) do not change it.
	Passed bool `json:"passed"`
	// Success is TorchRL's flag: Passed and nothing written to stderr (and
	// no output cut at the cap).
	Success bool   `json:"success"`
	Stdout  string `json:"stdout"`
	Stderr  string `json:"stderr"`
	// ReturnCode is what a native process would exit with: 0 when the code
	// ran to its end, 1 after an exception, the low 8 bits of sys.exit's or
	// os._exit's code (sys.exit(-1) is 255), -1 when it was stopped
	// (timeout, crash).
	ReturnCode int `json:"returncode"`
	// Failure says why the call did not succeed (empty when it passed but
	// wrote to stderr).
	Failure Failure `json:"failure,omitempty"`
	// Queued is the time the call waited for a free interpreter; Duration
	// the time it ran (its interpreter made or taken, the code, the result).
	Queued   time.Duration `json:"queued_ns"`
	Duration time.Duration `json:"duration_ns"`
	// Files are the output files asked for with WithOutputFiles that
	// exist after the call, by name (relative to /tmp).
	Files map[string][]byte `json:"files,omitempty"`
}

// classify turns what an execution returned into a Result: out is what the
// harness reported (when err is nil), fdOut and fdErr what reached file
// descriptors 1 and 2. keep is false when the interpreter must be discarded.
func (p *Pool) classify(ctx context.Context, req Request, out harnessResult, err error, fdOut, fdErr sandbox.Output) (res Result, keep bool) {
	if err != nil {
		res := Result{Stdout: string(fdOut.Kept), Stderr: string(fdErr.Kept), ReturnCode: -1}
		var exit *sandbox.ExitError
		switch {
		case errors.Is(err, sandbox.ErrDeadline) || ctx.Err() != nil:
			res.Failure = FailTimeout
			if cause := callerEnded(ctx); cause != nil {
				res.Stderr += fmt.Sprintf("Code execution stopped: the caller's context ended (%v) - interpreter replaced\n", cause)
			} else {
				res.Stderr += fmt.Sprintf("Code execution timed out after %v - interpreter replaced\n", req.Timeout)
			}
		case errors.As(err, &exit):
			// os._exit(n): a native process's status is n's low 8 bits.
			res.Failure = FailExit
			res.ReturnCode = int(exit.Code & 0xff)
			res.Passed = res.ReturnCode == 0
		case errors.Is(err, errGuestMemory):
			res.Failure = FailMemory
			res.Stderr += fmt.Sprintf("Error: out of memory (limit %d MiB) - interpreter replaced\n", p.opts.MemoryLimit>>20)
		default:
			res.Failure = FailCrash
			res.Stderr += fmt.Sprintf("Error: the interpreter crashed (%v) - interpreter replaced\n", err)
		}
		return res, false
	}
	// One cap for each stream, whether the code wrote through sys.stdout
	// or to fd 1 itself.
	stdout, outCut := joinCapped(out.stdout, fdOut.Kept, p.opts.OutputCap)
	stderr, errCut := joinCapped(out.stderr, fdErr.Kept, p.opts.OutputCap)
	res = Result{Stdout: stdout, Stderr: stderr}
	keep = true
	switch out.kind {
	case resultOK:
		res.Passed = true
		res.Success = res.Stderr == ""
	case resultException:
		res.Failure, res.ReturnCode = FailException, 1
	case resultExit:
		res.Failure, res.ReturnCode = FailExit, int(out.code)
		res.Passed = out.code == 0
		keep = false // TorchRL loses the slot; we replace it
	case resultMemory:
		res.Failure, res.ReturnCode = FailMemory, 1
		keep = false
	}
	if out.stdoutCut || out.stderrCut || fdOut.Truncated || fdErr.Truncated || outCut || errCut {
		if res.Failure == FailNone {
			res.Failure = FailOutputCap
		}
		res.Success = false
		res.Stderr += fmt.Sprintf("[output truncated: more than %d bytes per stream]\n", p.opts.OutputCap)
	}
	if out.leaked {
		keep = false // the next call would see what this one changed
	}
	return res, keep
}

// joinCapped is what the harness kept of a stream, then what reached its
// file descriptor, cut at capBytes (and at a character boundary); cut says
// whether anything was cut.
func joinCapped(harness, fd []byte, capBytes int) (s string, cut bool) {
	if len(harness)+len(fd) <= capBytes {
		return string(harness) + string(fd), false
	}
	b := append(harness[:len(harness):len(harness)], fd...)
	return string(wholeChars(b[:capBytes])), true
}
