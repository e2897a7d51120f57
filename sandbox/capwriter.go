package sandbox

import "sync"

// cappedWriter keeps at most cap bytes written to it and counts the rest,
// so a guest that prints without end costs bounded memory and the overflow
// is reported, not silent.
type cappedWriter struct {
	mu      sync.Mutex
	cap     int
	buf     []byte
	dropped int64
}

// newCappedWriter keeps up to capBytes.
func newCappedWriter(capBytes int) *cappedWriter { return &cappedWriter{cap: capBytes} }

// Write keeps what fits and always reports success, so the guest goes on.
func (w *cappedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.cap - len(w.buf)
	if room < 0 {
		room = 0
	}
	if len(p) > room {
		w.dropped += int64(len(p) - room)
		w.buf = append(w.buf, p[:room]...)
	} else {
		w.buf = append(w.buf, p...)
	}
	return len(p), nil
}

// Take returns what was kept and whether anything was dropped, and empties
// the writer for the next call.
func (w *cappedWriter) Take() (kept []byte, truncated bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept, truncated = w.buf, w.dropped > 0
	w.buf, w.dropped = nil, 0
	return kept, truncated
}
