package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The scratch directory of a process that is gone (a host killed with
// SIGKILL) is removed with its files; this process's and a live process's
// stay, and so does a name without a process ID.
func TestSweepScratchRemovesWhatDeadProcessesLeft(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	base := scratchBase()
	mk := func(pid string) string {
		dir, err := os.MkdirTemp(base, scratchPrefix+pid)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(filepath.Join(dir, "left"), make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dead := mk(strconv.Itoa(gone.Process.Pid) + "-")
	ours, err := NewScratch(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Remove()
	live := mk("1-")     // init lives as long as the machine
	unnamed := mk("old") // the older form, without a process ID
	if _, err := SweepScratch(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the scratch directory of process %d, gone, is still there (%v)", gone.Process.Pid, err)
	}
	for _, dir := range []string{ours.dir, live, unnamed} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s: %v; want it kept", dir, err)
		}
	}
}
