package sandbox

import (
	"bytes"
	"errors"
	"fmt"
)

// WithoutData returns a copy of a wasm module whose data section holds no
// segments. Instances of it start from a Snapshot, which already holds the
// data: applying the segments again would only dirty (copy) the pages the
// snapshot shares. A data count section (bulk memory) is set to zero
// segments too, so code that refers to a segment (memory.init, data.drop)
// fails validation when the copy is compiled rather than running without
// its data.
func WithoutData(wasm []byte) ([]byte, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, errors.New("sandbox: not a wasm module")
	}
	out := append([]byte(nil), wasm[:8]...)
	for i := 8; i < len(wasm); {
		id := wasm[i]
		size, n, err := uleb(wasm[i+1:])
		if err != nil {
			return nil, err
		}
		start := i + 1 + n
		end := start + int(size)
		if end > len(wasm) || end < start {
			return nil, fmt.Errorf("sandbox: section %d runs past the end", id)
		}
		switch id {
		case 12:
			out = append(out, 12, 1, 0) // a data count of zero
		case 11:
			out = append(out, 11, 1, 0) // a data section of zero segments
		default:
			out = append(out, wasm[i:end]...)
		}
		i = end
	}
	return out, nil
}

// MinMemory is the initial size in bytes of a wasm module's memory (the
// minimum of its memory section): the least memory limit an instance of it
// can start under. A module without a memory section (one that imports its
// memory or has none) gives 0.
func MinMemory(wasm []byte) (int64, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return 0, errors.New("sandbox: not a wasm module")
	}
	for i := 8; i < len(wasm); {
		id := wasm[i]
		size, n, err := uleb(wasm[i+1:])
		if err != nil {
			return 0, err
		}
		start := i + 1 + n
		end := start + int(size)
		if end > len(wasm) || end < start {
			return 0, fmt.Errorf("sandbox: section %d runs past the end", id)
		}
		if id == 5 { // memory: a count, then each memory's limits
			sec := wasm[start:end]
			count, n, err := uleb(sec)
			if err != nil || count == 0 || n >= len(sec) {
				return 0, err
			}
			// The flags byte: bit 2 is memory64, whose pages are the same
			// 64 KiB; the minimum follows it either way.
			min, _, err := uleb(sec[n+1:])
			if err != nil {
				return 0, err
			}
			return int64(min) * 65536, nil
		}
		i = end
	}
	return 0, nil
}

func uleb(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("sandbox: bad LEB128")
}
