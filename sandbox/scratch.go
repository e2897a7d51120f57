package sandbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Scratch is a writable directory for one instance (its /tmp), capped in
// size and removed with the instance. It lives in memory (/dev/shm) where
// the host has it. Symlinks and hard links are refused inside it, so the
// guest cannot point outside.
type Scratch struct {
	dir string // host directory
	cap int64

	mu    sync.Mutex
	files map[string]*scratchNode // guest-relative path -> its file
	used  int64
	full  atomic.Bool // a write was refused for the cap
}

// scratchNode is one file's size as last known. Open files hold their node,
// not their name: the bytes of a file renamed or unlinked while open stay
// counted, under its new name or until its last descriptor closes, as the
// data stays on disk until then.
type scratchNode struct {
	size   int64
	open   int  // descriptors open on it
	linked bool // it still has a name in the directory
}

// NewScratch makes a scratch directory of at most capBytes. Its name
// carries the process's ID, so that SweepScratch can tell one a killed
// process left.
func NewScratch(capBytes int64) (*Scratch, error) {
	pattern := scratchPrefix + strconv.Itoa(os.Getpid()) + "-"
	dir, err := os.MkdirTemp(scratchBase(), pattern)
	if err != nil {
		dir, err = os.MkdirTemp(os.TempDir(), pattern)
		if err != nil {
			return nil, fmt.Errorf("sandbox: scratch dir: %w", err)
		}
	}
	return &Scratch{dir: dir, cap: capBytes, files: map[string]*scratchNode{}}, nil
}

const scratchPrefix = "sandhost-tmp-"

// scratchBase is where scratch directories go: in memory where the host has
// /dev/shm.
func scratchBase() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// Cap is the scratch's size limit in bytes.
func (s *Scratch) Cap() int64 { return s.cap }

// Empty says whether the directory holds nothing: no file or directory
// the guest made is left (pyexec's isolated model replaces an interpreter
// whose call left one). Read by the host, it cannot be fooled from inside,
// as the directory's modification time could (os.utime).
func (s *Scratch) Empty() bool {
	f, err := os.Open(s.dir)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return err == io.EOF
}

// Used is the bytes the guest's files take, as far as it wrote them.
func (s *Scratch) Used() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Full reports (and clears) whether a write was refused for the cap.
func (s *Scratch) Full() bool { return s.full.Swap(false) }

// Remove deletes the directory.
func (s *Scratch) Remove() error { return os.RemoveAll(s.dir) }

// Errors of the host's file transfers with a scratch, for errors.Is.
var (
	// ErrOutsideScratch: a file name that is not inside /tmp.
	ErrOutsideScratch = errors.New("sandbox: file name is not inside /tmp")
	// ErrScratchFull: a file that would take /tmp past its cap.
	ErrScratchFull = errors.New("sandbox: /tmp is full")
	// ErrFileTooLarge: a file larger than the reader accepts.
	ErrFileTooLarge = errors.New("sandbox: file too large")
)

// guestRel maps a file name as a caller gives it ("out.png" or
// "/tmp/out.png") to its path relative to the scratch directory.
func guestRel(name string) (string, error) {
	rel := strings.TrimPrefix(name, "/tmp/")
	if !filepath.IsLocal(rel) || filepath.Clean(rel) == "." {
		return "", fmt.Errorf("%w: %q", ErrOutsideScratch, name)
	}
	return filepath.ToSlash(filepath.Clean(rel)), nil
}

// guestErr is err of a host file operation in s with the host's paths
// told as the guest sees them (/tmp/...): the message reaches the code's
// stderr, which has no business knowing where the host keeps its files.
func (s *Scratch) guestErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Path, s.dir) {
		pe.Path = "/tmp" + strings.TrimPrefix(pe.Path, s.dir)
	}
	return fmt.Errorf("sandbox: %w", err)
}

// WriteFile puts a file where the guest sees it as /tmp/name (name may
// start with /tmp/), making its directories. It counts against the cap like
// the guest's own writes: a file that would pass it is not written.
func (s *Scratch) WriteFile(name string, data []byte) error {
	rel, err := guestRel(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.knownLocked(rel)
	cur := n.size
	if s.used-cur+int64(len(data)) > s.cap {
		return fmt.Errorf("%w: %s of %d bytes with %d of %d used", ErrScratchFull, name, len(data), s.used-cur, s.cap)
	}
	hp := filepath.Join(s.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		return s.guestErr(err)
	}
	if err := os.WriteFile(hp, data, 0o644); err != nil {
		return s.guestErr(err)
	}
	s.used += int64(len(data)) - cur
	n.size = int64(len(data))
	return nil
}

// ReadFile reads back the file the guest sees as /tmp/name. It must be a
// regular file of at most maxBytes (ErrFileTooLarge otherwise; a missing
// file is fs.ErrNotExist).
func (s *Scratch) ReadFile(name string, maxBytes int64) ([]byte, error) {
	rel, err := guestRel(name)
	if err != nil {
		return nil, err
	}
	hp := filepath.Join(s.dir, filepath.FromSlash(rel))
	st, err := os.Lstat(hp)
	if err != nil {
		return nil, s.guestErr(err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("sandbox: /tmp/%s is not a regular file: %w", rel, fs.ErrInvalid)
	}
	if st.Size() > maxBytes {
		return nil, fmt.Errorf("%w: /tmp/%s has %d bytes, the limit is %d", ErrFileTooLarge, rel, st.Size(), maxBytes)
	}
	f, err := os.Open(hp)
	if err != nil {
		return nil, s.guestErr(err)
	}
	defer f.Close()
	// Read at most the limit even if the file grew since the Lstat.
	b, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%w: /tmp/%s grew past %d bytes", ErrFileTooLarge, rel, maxBytes)
	}
	return b, nil
}

// knownLocked returns p's node, reading its size from disk the first time
// (files put there by the host, e.g. input files).
func (s *Scratch) knownLocked(p string) *scratchNode {
	if n, ok := s.files[p]; ok {
		return n
	}
	n := &scratchNode{linked: true}
	if st, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(p))); err == nil && st.Mode().IsRegular() {
		n.size = st.Size()
	}
	s.files[p] = n
	s.used += n.size
	return n
}

// open returns p's node with one more descriptor open on it.
func (s *Scratch) open(p string) *scratchNode {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.knownLocked(p)
	n.open++
	return n
}

// release is a descriptor of n closing: an unlinked file's bytes are freed
// with its last descriptor.
func (s *Scratch) release(n *scratchNode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n.open--
	if n.open == 0 && !n.linked {
		s.used -= n.size
	}
}

// grow accounts for n reaching size end; false if that passes the cap.
func (s *Scratch) grow(n *scratchNode, end int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if end <= n.size {
		return true
	}
	if s.used+end-n.size > s.cap {
		s.full.Store(true)
		return false
	}
	s.used += end - n.size
	n.size = end
	return true
}

func (s *Scratch) setSize(n *scratchNode, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used += size - n.size
	n.size = size
}

// under reports whether k is p or inside it.
func under(k, p string) bool {
	return k == p || len(k) > len(p) && k[:len(p)+1] == p+"/"
}

// unlinkLocked drops the name k: the file's bytes stop counting unless it
// is still open (then they do when it closes).
func (s *Scratch) unlinkLocked(k string) {
	n := s.files[k]
	delete(s.files, k)
	n.linked = false
	if n.open == 0 {
		s.used -= n.size
	}
}

// forget drops p and everything under it, once they are removed.
func (s *Scratch) forget(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = path.Clean(p)
	for k := range s.files {
		if under(k, p) {
			s.unlinkLocked(k)
		}
	}
}

// rename follows a rename done on disk: what was at to is replaced, and
// from's files (a directory's, all of them) are counted under to.
func (s *Scratch) rename(from, to string) {
	from, to = path.Clean(from), path.Clean(to)
	if from == to {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.files {
		if under(k, to) {
			s.unlinkLocked(k)
		}
	}
	moved := map[string]*scratchNode{}
	for k, n := range s.files {
		if under(k, from) {
			moved[to+k[len(from):]] = n
			delete(s.files, k)
		}
	}
	for k, n := range moved {
		s.files[k] = n
	}
}
