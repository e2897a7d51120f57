package sandbox

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Scratch is a writable directory for one instance (its /tmp), capped in
// size and removed with the instance. It lives in memory (/dev/shm) where
// the host has it. Symlinks and hard links are refused inside it, so the
// guest cannot point outside.
type Scratch struct {
	Dir string // host directory
	cap int64

	mu    sync.Mutex
	sizes map[string]int64 // guest-relative path -> size, as last known
	used  int64
	full  atomic.Bool // a write was refused for the cap
}

// NewScratch makes a scratch directory of at most capBytes.
func NewScratch(capBytes int64) (*Scratch, error) {
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	dir, err := os.MkdirTemp(base, "sandhost-tmp-")
	if err != nil {
		dir, err = os.MkdirTemp(os.TempDir(), "sandhost-tmp-")
		if err != nil {
			return nil, fmt.Errorf("sandbox: scratch dir: %w", err)
		}
	}
	return &Scratch{Dir: dir, cap: capBytes, sizes: map[string]int64{}}, nil
}

// Cap is the scratch's size limit in bytes.
func (s *Scratch) Cap() int64 { return s.cap }

// Used is the bytes the guest's files take, as far as it wrote them.
func (s *Scratch) Used() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Full reports (and clears) whether a write was refused for the cap.
func (s *Scratch) Full() bool { return s.full.Swap(false) }

// Remove deletes the directory.
func (s *Scratch) Remove() error { return os.RemoveAll(s.Dir) }

// known returns the tracked size of p, reading it from disk the first time
// (files put there by the host, e.g. input files).
func (s *Scratch) knownLocked(p string) int64 {
	if n, ok := s.sizes[p]; ok {
		return n
	}
	var n int64
	if st, err := os.Stat(filepath.Join(s.Dir, filepath.FromSlash(p))); err == nil && st.Mode().IsRegular() {
		n = st.Size()
	}
	s.sizes[p] = n
	s.used += n
	return n
}

// grow accounts for p reaching size end; false if that passes the cap.
func (s *Scratch) grow(p string, end int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.knownLocked(p)
	if end <= cur {
		return true
	}
	if s.used+end-cur > s.cap {
		s.full.Store(true)
		return false
	}
	s.used += end - cur
	s.sizes[p] = end
	return true
}

func (s *Scratch) setSize(p string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used += size - s.knownLocked(p)
	s.sizes[p] = size
}

func (s *Scratch) forget(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = path.Clean(p)
	for k, n := range s.sizes {
		if k == p || len(k) > len(p) && k[:len(p)+1] == p+"/" {
			s.used -= n
			delete(s.sizes, k)
		}
	}
}

func (s *Scratch) rename(from, to string) {
	s.mu.Lock()
	n := s.knownLocked(path.Clean(from))
	s.mu.Unlock()
	s.forget(to)
	s.forget(from)
	s.setSize(path.Clean(to), n)
}
