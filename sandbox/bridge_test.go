package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/sandbox"
)

// The guest asks the host through /dev/sandhost while it runs, on both
// engines: each write is answered before it returns, with the call's
// context, and each open file reads its own answer.
func TestBridge(t *testing.T) {
	for eng, mod := range pythonModules(t) {
		t.Run(eng, func(t *testing.T) {
			t.Run("answers", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var deadlines int
				bridge := func(ctx context.Context, req []byte) []byte {
					if _, ok := ctx.Deadline(); ok {
						deadlines++
					}
					return append([]byte("answer to "), req...)
				}
				r := runPython(ctx, t, mod, `
import os
a = os.open('/dev/sandhost', os.O_RDWR)
b = os.open('/dev/sandhost', os.O_RDWR)
os.write(a, b'one'); os.write(b, b'two')
print(os.read(a, 4), os.read(a, 100), os.read(a, 100), os.read(b, 100))
os.write(a, b'three'); print(os.read(a, 100))
os.close(a); os.close(b)
`, pyOpts{bridge: bridge})
				want := "b'answ' b'er to one' b'' b'answer to two'\nb'answer to three'\n"
				if r.err != nil || r.stdout.String() != want {
					t.Fatalf("err %v, stdout %q, want %q; stderr %q", r.err, &r.stdout, want, &r.stderr)
				}
				if deadlines != 3 {
					t.Fatalf("%d of 3 requests had the call's deadline", deadlines)
				}
			})
			t.Run("absent_without_bridge", func(t *testing.T) {
				r := runPython(context.Background(), t, mod, "import os; print(os.path.exists('/dev/sandhost'), os.path.exists('/dev'))", pyOpts{})
				if r.err != nil || r.stdout.String() != "False False\n" {
					t.Fatalf("err %v, stdout %q; stderr %q", r.err, &r.stdout, &r.stderr)
				}
			})
			// A guest waiting in the bridge is stopped when its context
			// ends: the bridge returns, its late answer is not delivered,
			// and the call ends at its deadline.
			t.Run("stopped_while_waiting", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var cancelled time.Time
				bridge := func(bctx context.Context, req []byte) []byte {
					cancelled = time.Now()
					cancel()
					<-bctx.Done()
					return []byte("late")
				}
				r := runPython(ctx, t, mod, `
import os
f = os.open('/dev/sandhost', os.O_RDWR)
os.write(f, b'wait')
print(os.read(f, 100))
`, pyOpts{bridge: bridge})
				if cancelled.IsZero() {
					t.Fatalf("bridge never called: err %v, stderr %q", r.err, &r.stderr)
				}
				stop := time.Since(cancelled)
				if !errors.Is(r.err, sandbox.ErrDeadline) || strings.Contains(r.stdout.String(), "late") {
					t.Fatalf("err = %v, stdout %q; want ErrDeadline and no late answer", r.err, &r.stdout)
				}
				if stop > stopLimit {
					t.Fatalf("stopped %v after its context ended", stop)
				}
			})
		})
	}
}
