package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// SweepScratch removes the scratch directories that processes no longer
// running left behind (a host killed with SIGKILL cannot remove its own),
// and returns how many it removed. A directory is removed only when it is
// this user's, its name carries a process ID (NewScratch's), and no process
// has that ID; one whose process ID was reused by another process stays.
// Pools call it as they start.
func SweepScratch() (int, error) {
	base := scratchBase()
	entries, err := os.ReadDir(base)
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		pid, ok := scratchPID(e.Name())
		if !ok || !e.IsDir() || pid == os.Getpid() || processExists(pid) {
			continue
		}
		path := filepath.Join(base, e.Name())
		if info, err := e.Info(); err != nil || !ownedByUs(info) {
			continue
		}
		if err := os.RemoveAll(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// scratchPID reads the process ID in a scratch directory's name.
func scratchPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, scratchPrefix)
	if !ok {
		return 0, false
	}
	pidText, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false // an older name, without the process
	}
	pid, err := strconv.Atoi(pidText)
	return pid, err == nil && pid > 0
}

// processExists says whether a process has that ID (one of another user's
// counts: the signal is refused, not unanswered).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func ownedByUs(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
