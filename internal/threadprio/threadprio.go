// Package threadprio pins a goroutine to its OS thread and changes that
// thread's scheduling priority (its nice value), for code that must run
// below the rest of the process, or let one long computation yield the
// cores to short ones. Linux only: there the nice
// value is a per-thread attribute (setpriority(2)).
package threadprio

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Normal and Lowest are the nice values of a thread at the default
// priority and at the lowest.
const (
	Normal = 0
	Lowest = 19
)

// Thread is an OS thread a goroutine is locked to.
type Thread struct {
	tid     int
	clockID int32 // the thread's CPU-time clock, readable from any thread of the process
}

// Pin locks the calling goroutine to its OS thread (runtime.LockOSThread)
// and returns that thread. Undo it with Unpin on the same goroutine, and
// only while the thread has the priority it had; otherwise end the
// goroutine pinned, and Go ends the thread too, so that no other goroutine
// runs at the priority the thread was given.
func Pin() Thread {
	runtime.LockOSThread()
	tid := unix.Gettid()
	// The kernel's encoding of a per-thread CPU clock (what
	// pthread_getcpuclockid returns): ^tid<<3 | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED.
	return Thread{tid: tid, clockID: int32(^tid<<3) | 4 | 2}
}

// Unpin undoes Pin; call it on the pinned goroutine, and only while the
// thread has the priority it had before.
func Unpin() { runtime.UnlockOSThread() }

// ID is the thread's id (its tid).
func (t Thread) ID() int { return t.tid }

// CPUTime is the CPU time the thread has used since it started. Call it
// only while the thread is pinned (while its goroutine has not ended), or
// the thread id may name another thread.
func (t Thread) CPUTime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(t.clockID, &ts); err != nil {
		return 0, fmt.Errorf("threadprio: CPU time of thread %d: %w", t.tid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// SetNice sets the thread's nice value. Raising it (a lower priority) is
// always allowed; lowering it needs CAP_SYS_NICE or an RLIMIT_NICE that
// allows it, else the error wraps unix.EPERM / unix.EACCES.
func (t Thread) SetNice(nice int) error {
	if err := unix.Setpriority(unix.PRIO_PROCESS, t.tid, nice); err != nil {
		return fmt.Errorf("threadprio: nice %d for thread %d: %w", nice, t.tid, err)
	}
	return nil
}

// Nice is the thread's nice value.
func (t Thread) Nice() (int, error) {
	// The raw syscall returns 20 - nice, so that no value is negative.
	v, err := unix.Getpriority(unix.PRIO_PROCESS, t.tid)
	if err != nil {
		return 0, fmt.Errorf("threadprio: nice of thread %d: %w", t.tid, err)
	}
	return 20 - v, nil
}

// CurrentNice is the nice value of the calling goroutine's thread (on
// Linux, PRIO_PROCESS with id 0 names the calling thread).
func CurrentNice() (int, error) {
	v, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		return 0, fmt.Errorf("threadprio: nice of this thread: %w", err)
	}
	return 20 - v, nil
}

// MayRaise reports whether the process may set a thread it lowered back to
// the priority it had (CAP_SYS_NICE, or an RLIMIT_NICE that allows it; a
// container's default grants neither). It finds out by lowering a thread
// of its own by one step and setting it back; where that fails, the thread
// ends. False where the process's threads are at the lowest priority already.
func MayRaise() bool {
	may := make(chan bool)
	go func() {
		th := Pin()
		nice, err := th.Nice()
		if err != nil || nice >= Lowest || th.SetNice(nice+1) != nil {
			Unpin()
			may <- false
			return
		}
		if th.SetNice(nice) != nil {
			may <- false // still pinned: the lowered thread ends with this goroutine
			return
		}
		Unpin()
		may <- true
	}()
	return <-may
}
