package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// A run records sandhost's commit, never that of the repository the
// command happened to start in; the binary's build info comes first.
func TestCommitIsSandhostsNotTheWorkingDirectorys(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal(err)
	}
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644)
	git(other, "init", "-q")
	git(other, "add", ".")
	git(other, "commit", "-q", "-m", "other")
	foreign := git(other, "rev-parse", "HEAD")

	// The test binary has no vcs.revision: the working directory decides.
	t.Chdir(other)
	if got := commit(t.Context()); got != "unknown" {
		t.Fatalf("in another project's repository (at %s) the commit is %q, want unknown", foreign, got)
	}
	t.Chdir(t.TempDir())
	if got := commit(t.Context()); got != "unknown" {
		t.Fatalf("outside any repository the commit is %q, want unknown", got)
	}

	built := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}
	if got := revision(built); got != "0123abcd-dirty" {
		t.Fatalf("build info's revision %q, want 0123abcd-dirty", got)
	}
	if got := revision(nil); got != "" {
		t.Fatalf("no build info: %q", got)
	}
}

// Within sandhost's repository (go test runs in it) the checkout's commit
// is recorded.
func TestCommitInSandhostsCheckout(t *testing.T) {
	want, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	got := strings.TrimSuffix(commit(t.Context()), "-dirty")
	if got == "unknown" || !strings.HasPrefix(string(want), got) {
		t.Fatalf("in sandhost's checkout the commit is %q, want a prefix of %s", got, want)
	}
}
