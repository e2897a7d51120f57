package threadprio_test

import (
	"errors"
	"os"
	"strconv"
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
