package scoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// nativeScorer runs each sample in its own python3 process, at most
// cfg.PoolSize at once, each stopped (SIGKILL) cfg.Timeout after it
// started and limited to the executor's memory (see LimitMemory): how
// SandboxFusion and verl's default score code.
func nativeScorer(cfg Config) scoreFunc {
	python := LimitMemory([]string{cfg.python()}, cfg.memory())
	slots := make(chan struct{}, cfg.PoolSize)
	return func(ctx context.Context, env int, a Answer) Outcome {
		t0 := time.Now()
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return Outcome{Answer: a, Latency: time.Since(t0), Err: ctx.Err()}
		}
		defer func() { <-slots }()
		v, success, stderr, ran, err := RunNative(ctx, python, a.Code, cfg.Timeout)
		o := Outcome{Answer: a, Got: v, Success: success, Stderr: lastLine(stderr), Latency: time.Since(t0), Err: err}
		if v == Timeout {
			o.Overshoot = ran - cfg.Timeout
		}
		return o
	}
}

// RunNative runs code with the native interpreter python (its path and
// flags; python3 when empty) under timeout and returns its verdict,
// TorchRL's success flag (exit 0 and nothing on stderr), its stderr, and
// how long it ran. The error is for a process that could not be started.
func RunNative(ctx context.Context, python []string, code string, timeout time.Duration) (v Verdict, success bool, stderr string, ran time.Duration, err error) {
	if len(python) == 0 {
		python = []string{"python3"}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python[0], append(python[1:], "-c", code)...)
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	cmd.WaitDelay = time.Second // a killed process's pipes are not waited on forever
	t0 := time.Now()
	err = cmd.Run()
	ran = time.Since(t0)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return Pass, errBuf.Len() == 0, errBuf.String(), ran, nil
	case ctx.Err() != nil:
		return Timeout, false, errBuf.String(), ran, nil
	case errors.As(err, &exit):
		return Fail, false, errBuf.String(), ran, nil
	default:
		return "", false, errBuf.String(), ran, err
	}
}

// LimitMemory returns the command line argv run with an address-space limit
// of bytes (RLIMIT_AS, which util-linux's prlimit sets on itself before it
// execs argv), or argv itself when bytes is not positive. It is how the
// native baselines get the executor's memory limit: a wasm interpreter's
// limit is on its linear memory, and RLIMIT_AS is the nearest native
// equivalent (it also counts the interpreter's code and libraries, about
// 20 MiB, well inside the margin between the corpus's answers, under 50 MiB,
// and its memory hogs, over 400 MiB). Without it a memory hog takes
// gigabytes of the machine before its timeout.
func LimitMemory(argv []string, bytes int64) []string {
	if bytes <= 0 {
		return argv
	}
	return append([]string{"prlimit", fmt.Sprintf("--as=%d", bytes), "--"}, argv...)
}

// lastLine is the last non-empty line of s (an exception's message).
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ResolvePython is the path of the interpreter that python (python3 when
// empty) runs: version managers such as pyenv put a shell script first on
// PATH that costs ~0.5 s per process here, which the baseline must not pay.
func ResolvePython(ctx context.Context, python string) (string, error) {
	if python == "" {
		python = "python3"
	}
	out, err := exec.CommandContext(ctx, python, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("scoring: run %s: %w", python, err)
	}
	return strings.TrimSpace(string(out)), nil
}
