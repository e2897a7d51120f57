package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// runMemory is scenario 5: private memory per idle interpreter and per
// session, and the host's memory with many sessions, against persistent
// native python3 processes (one per interpreter or session, as a user
// without sandhost keeps them).
func runMemory(ctx context.Context, b *bench, s *ScenarioRun) error {
	py := b.baselinePythons(ctx)[0]
	idleKB, sessionKB, rssKB, err := nativeMemory(ctx, py.path, b.sz.nativeProcs)
	if err != nil {
		return err
	}
	native := fmt.Sprintf("%s, persistent process (mean of %d)", py.subject, b.sz.nativeProcs)

	// Idle interpreters: a first pool of 1 takes what the process pays
	// once (the Go heap's growth, the compiled code); then Pss grows by
	// p2-p1 with a second pool of 1 (what every pool has: its runtime,
	// snapshot and one interpreter) and by p3-p2 with a third pool of n+1;
	// the difference over n is an idle interpreter's. Measured against the
	// first pool instead, what it alone pays counted against the
	// interpreters: -0.2 to -0.35 MiB each with n = 8. Sessions: Pss with k
	// of them open in the first pool less before, over k. Nothing is closed
	// between the readings: memory a closed pool leaves to the Go runtime
	// or the allocator would count in the next one.
	n, k := b.sz.idleInterps, b.sz.sessions[0]
	var idle, session []float64
	for range b.sz.repeats {
		err := withPool(ctx, pyexec.Options{Size: 1, MaxSessions: k}, func(first *pyexec.Pool) error {
			p1 := pss()
			return withPool(ctx, pyexec.Options{Size: 1}, func(*pyexec.Pool) error {
				p2 := pss()
				return withPool(ctx, pyexec.Options{Size: n + 1}, func(*pyexec.Pool) error {
					p3 := pss()
					err := openSessions(ctx, first, 0, k)
					p4 := pss()
					idle = append(idle, mib((p3-p2)-(p2-p1))/float64(n))
					session = append(session, mib(p4-p3)/float64(k))
					return err
				})
			})
		})
		if err != nil {
			return err
		}
	}
	group := "private memory per idle interpreter (Pss)"
	b.add(s, valueFigure(Figure{Group: group, Subject: "sandhost, idle interpreter", Unit: "MiB", Better: "lower"}, idle))
	b.add(s, valueFigure(Figure{Group: group, Subject: native, Baseline: true, Unit: "MiB", Better: "lower"}, []float64{mib(idleKB)}))
	group = "private memory per session (Pss)"
	b.add(s, valueFigure(Figure{Group: group, Subject: "sandhost, session after a call", Unit: "MiB", Better: "lower"}, session))
	b.add(s, valueFigure(Figure{Group: group, Subject: native + ", after a call", Baseline: true, Unit: "MiB", Better: "lower"}, []float64{mib(sessionKB)}))

	// The host with more and more sessions open on one pool.
	most := slices.Max(b.sz.sessions)
	return withPool(ctx, pyexec.Options{Size: b.sz.envPool, MaxSessions: most, Timeout: time.Minute}, func(pool *pyexec.Pool) error {
		open := 0
		for _, k := range b.sz.sessions {
			if err := openSessions(ctx, pool, open, k); err != nil {
				return err
			}
			open = k
			pss()
			rss := procKB("self", "/status", "VmRSS:")
			group := fmt.Sprintf("host RSS with %d sessions", k)
			b.add(s, valueFigure(Figure{Group: group, Subject: fmt.Sprintf("sandhost, one process, pool of %d", b.sz.envPool),
				Unit: "MiB", Better: "lower", PoolSize: b.sz.envPool, Sessions: k}, []float64{mib(rss)}))
			b.add(s, valueFigure(Figure{Group: group, Subject: fmt.Sprintf("%s, %d persistent processes (RSS of %d measured, times %d)", py.subject, k, b.sz.nativeProcs, k),
				Baseline: true, Unit: "MiB", Better: "lower", Sessions: k}, []float64{mib(rssKB * int64(k))}))
		}
		return nil
	})
}

// withPool runs fn with a pool open.
func withPool(ctx context.Context, opts pyexec.Options, fn func(*pyexec.Pool) error) error {
	pool, err := pyexec.NewPool(ctx, opts)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(pool)
}

// pss is this process's Pss in KiB, garbage collected first.
func pss() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return procKB("self", "/smaps_rollup", "Pss:")
}

// openSessions makes sessions from to to-1, each with one call run.
func openSessions(ctx context.Context, pool *pyexec.Pool, from, to int) error {
	for i := from; i < to; i++ {
		if err := passed(pool.Execute(ctx, sessionCode, pyexec.InSession("mem-"+strconv.Itoa(i)))); err != nil {
			return err
		}
	}
	return nil
}

// nativeMemory starts n persistent native processes and returns their
// mean Pss idle and after a call, and their mean RSS after a call, in KiB.
func nativeMemory(ctx context.Context, python string, n int) (idle, session, rss int64, err error) {
	loops, err := nativeLoops(ctx, python, n)
	if err != nil {
		return 0, 0, 0, err
	}
	defer killAll(loops)
	for _, l := range loops {
		idle += procKB(strconv.Itoa(l.cmd.Process.Pid), "/smaps_rollup", "Pss:")
	}
	for _, l := range loops {
		if err := l.run(sessionCode); err != nil {
			return 0, 0, 0, err
		}
		pid := strconv.Itoa(l.cmd.Process.Pid)
		session += procKB(pid, "/smaps_rollup", "Pss:")
		rss += procKB(pid, "/status", "VmRSS:")
	}
	k := int64(n)
	return idle / k, session / k, rss / k, nil
}

// procKB is a "Key: N kB" field of /proc/PID/FILE.
func procKB(pid, file, key string) int64 {
	f, err := os.Open("/proc/" + pid + file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// mib is KiB in MiB.
func mib(kb int64) float64 { return float64(kb) / 1024 }
