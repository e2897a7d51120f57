package threadprio_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sandhost/sandhost/internal/threadprio"
)

// The nice value set is the pinned thread's own: other threads of the
// process keep theirs. The test's goroutine ends pinned, so that its thread
// (which may be left at the lowest priority) ends with it.
func TestSetNiceOfAPinnedThread(t *testing.T) {
	type outcome struct {
		lowered, restored, other int
		restoreErr               error
		cpuGrew                  bool
		err                      error
	}
	done := make(chan outcome)
	go func() {
		th := threadprio.Pin() // never unpinned: the thread ends with this goroutine
		var o outcome
		defer func() { done <- o }()
		cpu0, err := th.CPUTime()
		if err != nil {
			o.err = err
			return
		}
		for { // use some CPU: the clock is this thread's
			if cpu, _ := th.CPUTime(); cpu > cpu0 {
				o.cpuGrew = true
				break
			}
		}
		if o.err = th.SetNice(threadprio.Lowest); o.err != nil {
			return
		}
		if o.lowered, o.err = th.Nice(); o.err != nil {
			return
		}
		o.other = highestOtherNice(t, th.ID())
		o.restoreErr = th.SetNice(threadprio.Normal)
		o.restored, o.err = th.Nice()
	}()
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	if !o.cpuGrew {
		t.Error("the thread's CPU time did not grow while it ran")
	}
	if o.lowered != threadprio.Lowest {
		t.Errorf("nice after SetNice(Lowest) = %d", o.lowered)
	}
	if o.other == threadprio.Lowest {
		t.Error("another thread of the process was lowered too")
	}
	switch {
	case o.restoreErr == nil && o.restored != threadprio.Normal:
		t.Errorf("nice after SetNice(Normal) = %d", o.restored)
	case o.restoreErr != nil && !errors.Is(o.restoreErr, unix.EPERM) && !errors.Is(o.restoreErr, unix.EACCES):
		t.Errorf("restoring without the privilege: %v, want EPERM or EACCES", o.restoreErr)
	}
}

// highestOtherNice is the highest nice value among the process's threads
// other than tid.
func highestOtherNice(t *testing.T, tid int) int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Error(err)
		return 0
	}
	highest := -20
	for _, e := range ents {
		id, err := strconv.Atoi(e.Name())
		if err != nil || id == tid {
			continue
		}
		if raw, err := unix.Getpriority(unix.PRIO_PROCESS, id); err == nil {
			highest = max(highest, 20-raw)
		}
	}
	return highest
}

// probeEnv makes the test binary print MayRaise and exit (TestMain), so
// that a test can ask a process with other privileges.
const probeEnv = "THREADPRIO_PRINT_MAY_RAISE"

func TestMain(m *testing.M) {
	if os.Getenv(probeEnv) == "1" {
		fmt.Println(threadprio.MayRaise())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A process may raise a thread it lowered where this one may, and not
// without CAP_SYS_NICE and with RLIMIT_NICE 0 (a container's default);
// asking leaves the caller's thread as it was.
func TestMayRaise(t *testing.T) {
	before, err := threadprio.CurrentNice()
	if err != nil {
		t.Fatal(err)
	}
	here := threadprio.MayRaise()
	if after, _ := threadprio.CurrentNice(); after != before {
		t.Errorf("the caller's thread went from nice %d to %d", before, after)
	}
	ask := func(wrap ...string) string {
		t.Helper()
		args := append(wrap, os.Args[0])
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), probeEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := ask(); got != fmt.Sprint(here) {
		t.Errorf("a child process says %s, this one %v", got, here)
	}
	// prlimit and setpriv are util-linux's, which every Debian system has.
	if got := ask("prlimit", "--nice=0:0", "setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice"); got != "false" {
		t.Errorf("without CAP_SYS_NICE and with RLIMIT_NICE 0: MayRaise %s", got)
	}
}
