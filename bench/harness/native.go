package harness

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os/exec"
)

// nativeLoopSrc is the persistent native baseline: a python3 process that
// reads length-prefixed code on stdin, runs it in one __main__ with stdout
// captured (as sandhost captures it), and answers with a length-prefixed
// ok flag and the output. No polling: the cheapest persistent protocol.
const nativeLoopSrc = `import sys, io
rd, wr = sys.stdin.buffer, sys.stdout.buffer
env = {"__name__": "__main__"}
while (h := rd.read(4)):
    src = rd.read(int.from_bytes(h, "little")).decode()
    out = io.StringIO(); sys.stdout = out
    try:
        exec(src, env); ok = b"1"
    except BaseException:
        ok = b"0"
    finally:
        sys.stdout = sys.__stdout__
    r = ok + out.getvalue().encode()
    wr.write(len(r).to_bytes(4, "little") + r); wr.flush()
`

// nativeLoop is a running persistent python3 process; one caller at a time.
type nativeLoop struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startNativeLoop starts python running nativeLoopSrc.
func startNativeLoop(python string) (*nativeLoop, error) {
	cmd := exec.Command(python, "-u", "-c", nativeLoopSrc)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", python, err)
	}
	return &nativeLoop{cmd: cmd, in: in, out: bufio.NewReader(out)}, nil
}

// run runs code and fails when it raised.
func (n *nativeLoop) run(code string) error {
	frame := binary.LittleEndian.AppendUint32(nil, uint32(len(code)))
	if _, err := n.in.Write(append(frame, code...)); err != nil {
		return fmt.Errorf("harness: native loop: %w", err)
	}
	var h [4]byte
	if _, err := io.ReadFull(n.out, h[:]); err != nil {
		return fmt.Errorf("harness: native loop: %w", err)
	}
	r := make([]byte, binary.LittleEndian.Uint32(h[:]))
	if _, err := io.ReadFull(n.out, r); err != nil {
		return fmt.Errorf("harness: native loop: %w", err)
	}
	if len(r) == 0 || r[0] != '1' {
		return fmt.Errorf("harness: native loop: %q raised", code)
	}
	return nil
}

// close ends the process by closing its stdin and waits for it.
func (n *nativeLoop) close() error {
	n.in.Close()
	return n.cmd.Wait()
}

// kill ends it at once.
func (n *nativeLoop) kill() {
	n.cmd.Process.Kill()
	n.cmd.Wait()
}

// nativeLoops starts count loops at once and returns when each has run a
// first statement (the time a pool of them takes to be ready).
func nativeLoops(ctx context.Context, python string, count int) ([]*nativeLoop, error) {
	loops := make([]*nativeLoop, count)
	errs := make(chan error, count)
	for i := range loops {
		go func() {
			l, err := startNativeLoop(python)
			if err == nil {
				loops[i] = l
				err = l.run("pass")
			}
			errs <- err
		}()
	}
	var first error
	for range count {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		killAll(loops)
		return nil, first
	}
	return loops, nil
}

func killAll(loops []*nativeLoop) {
	for _, l := range loops {
		if l != nil {
			l.kill()
		}
	}
}
