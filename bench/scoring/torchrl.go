package scoring

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The TorchRL baseline (issue 9): TorchRL's PythonExecutorService as its
// code behaves (see ../shared/reference/torchrl-behaviour.md), rewritten in
// Go around the same python3 driver so that it runs beside the other modes
// without Ray. What it keeps, because that is what its users get:
//   - a pool of persistent python3 processes chosen strictly round robin,
//     each locked for the whole call, at most PoolSize calls at once (the
//     docs' max_concurrency = pool_size);
//   - the protocol: the code written to stdin between marker lines, the
//     driver printing markers around the run, stdout and stderr read into
//     queues by two readers and polled every 10 ms, one stdout line per poll,
//     the timeout counted in polls (10 ms each, however long a poll took);
//   - the driver's exec with separate globals and locals, the locals then
//     merged into the driver's globals: module-level names are not globals
//     of the answer's own functions (a function calling itself, or using a
//     module the answer imported, fails with NameError on a new process),
//     and everything a sample defines is seen by the later samples on that
//     process (a rebound builtin, an import an answer forgot);
//   - a timeout kills the process (SIGTERM, SIGKILL after 1 s) and starts
//     another before the call returns; a process that exited on its own is
//     not replaced.
// What it changes: the processes run under the executor's memory limit
// (TorchRL sets none, and a memory hog would take gigabytes of the machine),
// and the service is called in process, without Ray's round trip or the
// GIL of its actor, so the baseline is if anything faster than TorchRL.

// torchrlDriver is the script each persistent process runs (TorchRL's init
// script, in its behaviour: same markers, same exec scopes, same error
// report, including its str(e), which an answer that rebinds str breaks).
const torchrlDriver = `import sys
import traceback


def run_code(source):
    scope = {}
    try:
        exec(compile(source, "<string>", "exec"), globals(), scope)
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception as e:
        print(f"Error: {str(e)}", file=sys.stderr)
        print("Traceback:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
    return scope


print("---READY---")
sys.stdout.flush()
while True:
    try:
        if input().strip() != "---EXEC---":
            continue
        lines = []
        while True:
            line = input()
            if line.strip() == "---END---":
                break
            lines.append(line)
        print("---START---")
        sys.stdout.flush()
        globals().update(run_code("\n".join(lines)))
        print("---END---")
        sys.stdout.flush()
        sys.stderr.flush()
    except (EOFError, KeyboardInterrupt):
        break
    except Exception as e:
        print(f"Fatal error: {str(e)}", file=sys.stderr)
        sys.stderr.flush()
        break
`

// Its polling periods: a call's output is polled every 10 ms, a starting
// process's readiness every 100 ms; a killed process gets 1 s to exit.
const (
	torchrlPoll      = 10 * time.Millisecond
	torchrlReadyPoll = 100 * time.Millisecond
	torchrlTermWait  = time.Second
)

// torchrlResult is what PythonExecutorService.execute returns.
type torchrlResult struct {
	Success    bool
	Stdout     string
	Stderr     string
	ReturnCode int
}

// timedOutMessage is the stderr of a call that ran out of time.
const timedOutMessage = "Code execution timed out - process restarted"

// warningLine is a line the warnings module writes ("<string>:3:
// SyntaxWarning: ...").
var warningLine = regexp.MustCompile(`^\S*:\d+: [A-Za-z]*Warning: `)

// verdict reads a result the way a scorer wanting "ran to the end" must,
// since TorchRL's success also fails on a warning: timed out; passed when
// the return code is 0 or stderr holds only warnings; failed otherwise (an
// exception's report, a dead process).
func (r torchrlResult) verdict() Verdict {
	if r.ReturnCode == -1 && r.Stderr == timedOutMessage {
		return Timeout
	}
	if r.ReturnCode == 0 {
		return Pass
	}
	for _, l := range strings.Split(r.Stderr, "\n") {
		if strings.TrimSpace(l) != "" && !warningLine.MatchString(l) && !strings.HasPrefix(l, " ") {
			return Fail
		}
	}
	return Pass
}

// lineQueue is one of the process's output queues: lines appended by a
// reader, taken without waiting by the caller polling it.
type lineQueue struct {
	mu    sync.Mutex
	lines []string
}

func (q *lineQueue) put(l string) {
	q.mu.Lock()
	q.lines = append(q.lines, l)
	q.mu.Unlock()
}

// get takes the oldest line, false when there is none.
func (q *lineQueue) get() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.lines) == 0 {
		return "", false
	}
	l := q.lines[0]
	q.lines = q.lines[1:]
	return l, true
}

// torchrlProcess is one PersistentPythonProcess.
type torchrlProcess struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	out     lineQueue     // stdout lines
	errs    lineQueue     // stderr lines
	exited  chan struct{} // closed once the process has exited and been reaped
	readers sync.WaitGroup
}

// startTorchRLProcess starts argv running the driver and waits, polling as
// TorchRL does, until it says it is ready or timeout worth of polls passed.
func startTorchRLProcess(argv []string, timeout time.Duration) (*torchrlProcess, error) {
	p := &torchrlProcess{exited: make(chan struct{})}
	p.cmd = exec.Command(argv[0], append(argv[1:], "-u", "-c", torchrlDriver)...)
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("scoring: torchrl process stdin: %w", err)
	}
	p.stdin = stdin
	// Pipes of its own, not StdoutPipe: Wait (run at once, to know when the
	// process exited, as TorchRL's poll() does) must not close them while
	// the readers still drain them.
	outR, outW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return nil, fmt.Errorf("scoring: torchrl process stdout: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		outR.Close()
		outW.Close()
		return nil, fmt.Errorf("scoring: torchrl process stderr: %w", err)
	}
	p.cmd.Stdout, p.cmd.Stderr = outW, errW
	err = p.cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("scoring: start torchrl process: %w", err)
	}
	p.readers.Add(2)
	go p.read(outR, &p.out)
	go p.read(errR, &p.errs)
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	for budget := timeout; budget > 0; {
		if p.hasExited() {
			p.readers.Wait()
			return nil, fmt.Errorf("scoring: torchrl process failed to start: exit code %d: %s", p.cmd.ProcessState.ExitCode(), p.drain(&p.errs))
		}
		if l, ok := p.out.get(); ok {
			if strings.Contains(l, "---READY---") {
				return p, nil
			}
			continue
		}
		budget -= torchrlReadyPoll
		time.Sleep(torchrlReadyPoll)
	}
	p.cleanup()
	return nil, errors.New("scoring: torchrl process failed to initialize within its timeout")
}

// read is a reader thread: every line of r into q, until r ends.
func (p *torchrlProcess) read(r *os.File, q *lineQueue) {
	defer p.readers.Done()
	defer r.Close()
	br := bufio.NewReader(r)
	for {
		l, err := br.ReadString('\n')
		if l != "" {
			q.put(l)
		}
		if err != nil {
			return
		}
	}
}

func (p *torchrlProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// drain takes every line queued in q.
func (p *torchrlProcess) drain(q *lineQueue) string {
	var b strings.Builder
	for {
		l, ok := q.get()
		if !ok {
			return b.String()
		}
		b.WriteString(l)
	}
}

// execute runs code as PersistentPythonProcess.execute does; timedOut says
// the caller must replace the process (TorchRL restarts it in place), dead
// that the process had exited before the call.
func (p *torchrlProcess) execute(code string, timeout time.Duration) (res torchrlResult, timedOut, dead bool) {
	if p.hasExited() {
		return torchrlResult{Stderr: "Process not initialized or terminated. Accumulated errors: " + p.drain(&p.errs),
			ReturnCode: p.cmd.ProcessState.ExitCode()}, false, true
	}
	if _, err := io.WriteString(p.stdin, "---EXEC---\n"+code+"\n---END---\n"); err != nil {
		return torchrlResult{Stderr: "Failed to write to process: " + err.Error(), ReturnCode: -1}, false, false
	}
	var out, errs strings.Builder
	started := false
	budget := timeout
	for budget > 0 {
		if p.hasExited() {
			fmt.Fprintf(&errs, "Process terminated with return code %d - %s", p.cmd.ProcessState.ExitCode(), p.drain(&p.errs))
			break
		}
		errs.WriteString(p.drain(&p.errs))
		if l, ok := p.out.get(); ok {
			if strings.Contains(l, "---START---") {
				started = true
				continue
			}
			if strings.Contains(l, "---END---") {
				break
			}
			if started {
				out.WriteString(l)
			}
		}
		budget -= torchrlPoll
		time.Sleep(torchrlPoll)
	}
	if budget <= 0 {
		return torchrlResult{Stderr: timedOutMessage, ReturnCode: -1}, true, false
	}
	res = torchrlResult{Stdout: out.String(), Stderr: errs.String(), Success: errs.Len() == 0}
	if !res.Success {
		res.ReturnCode = 1
	}
	return res, false, false
}

// cleanup stops the process: SIGTERM, then SIGKILL if it has not exited
// within torchrlTermWait; it returns once the process is reaped and its
// output read.
func (p *torchrlProcess) cleanup() {
	p.stdin.Close()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(torchrlTermWait):
		p.cmd.Process.Kill()
		<-p.exited
	}
	p.readers.Wait()
}

// torchrlPool is the PythonExecutorService: its processes, a lock for each,
// the round-robin index, and max_concurrency.
type torchrlPool struct {
	argv    []string
	timeout time.Duration
	slots   []torchrlSlot
	calls   chan struct{} // max_concurrency

	mu   sync.Mutex // the selection lock
	next int
}

// torchrlSlot is one process and the lock held for a whole call on it.
type torchrlSlot struct {
	mu   sync.Mutex
	proc *torchrlProcess // nil when a restart failed
}

// startTorchRLPool starts cfg.PoolSize processes of cfg.Python under the
// memory limit, one after the other as TorchRL does (starting them at once
// on a loaded machine can run past the readiness budget).
func startTorchRLPool(ctx context.Context, cfg Config) (*torchrlPool, error) {
	p := &torchrlPool{
		argv:    LimitMemory([]string{cfg.python()}, cfg.memory()),
		timeout: cfg.Timeout,
		slots:   make([]torchrlSlot, cfg.PoolSize),
		calls:   make(chan struct{}, cfg.PoolSize),
	}
	for i := range p.slots {
		proc, err := startTorchRLProcess(p.argv, p.timeout)
		if err != nil {
			p.close()
			return nil, err
		}
		p.slots[i].proc = proc
		if err := ctx.Err(); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

// execute is PythonExecutorService.execute: the next slot in turn, whether
// or not it is busy, locked for the call.
func (p *torchrlPool) execute(code string) (res torchrlResult, ran time.Duration, dead bool) {
	p.mu.Lock()
	s := &p.slots[p.next]
	p.next = (p.next + 1) % len(p.slots)
	p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return torchrlResult{Stderr: "Process not initialized", ReturnCode: -1}, 0, true
	}
	t0 := time.Now()
	res, timedOut, dead := s.proc.execute(code, p.timeout)
	if timedOut {
		s.proc.cleanup()
		proc, err := startTorchRLProcess(p.argv, p.timeout)
		if err != nil {
			res.Stderr = fmt.Sprintf("Execution error: %v - process restarted", err)
		}
		s.proc = proc
	}
	return res, time.Since(t0), dead
}

// score is the pool as a scoreFunc: the sample waits for one of the
// max_concurrency calls, then runs on the next slot.
func (p *torchrlPool) score(ctx context.Context, env int, a Answer) Outcome {
	t0 := time.Now()
	select {
	case p.calls <- struct{}{}:
	case <-ctx.Done():
		return Outcome{Answer: a, Latency: time.Since(t0), Err: ctx.Err()}
	}
	res, ran, dead := p.execute(a.Code)
	<-p.calls
	o := Outcome{Answer: a, Got: res.verdict(), Success: res.Success, Stderr: lastLine(res.Stderr), Latency: time.Since(t0), Dead: dead}
	if o.Got == Timeout {
		// From the code's write to the call's return, restart included.
		o.Overshoot = ran - p.timeout
	}
	return o
}

// close stops every process.
func (p *torchrlPool) close() {
	for i := range p.slots {
		if s := &p.slots[i]; s.proc != nil {
			s.proc.cleanup()
			s.proc = nil
		}
	}
}
