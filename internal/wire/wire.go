// Package wire holds sandhost's one wire form of durations and sizes, used
// by every JSON payload and argument (pyexec's Request and ServiceArgs, the
// wasm factory's Args), the one people type:
//
//   - a duration is a string in Go's syntax: "1.5s", "300ms", "2m". A bare
//     number is read as seconds, TorchRL's unit ({"timeout": 10}).
//   - a size is a string with a unit: "256MiB", "1GB" (KiB/MiB/GiB are
//     powers of 1024, KB/MB/GB of 1000). A bare number is bytes.
//
// Encoding writes the string form. In Go, the fields are time.Duration and
// bytes (int64): a struct's JSON methods shadow them with these types, so
// nothing is parsed past the wire.
package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
)

// Duration is a time.Duration in its wire form.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if json.Unmarshal(b, &secs) != nil {
			return fmt.Errorf("duration %s: want a string such as \"1.5s\" or a number of seconds", b)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}

// Size is a byte count in its wire form.
type Size int64

func (n Size) MarshalJSON() ([]byte, error) { return json.Marshal(FormatSize(int64(n))) }

func (n *Size) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var v int64
		if json.Unmarshal(b, &v) != nil {
			return fmt.Errorf("size %s: want a string such as \"256MiB\" or a number of bytes", b)
		}
		*n = Size(v)
		return nil
	}
	v, err := bytesize.Parse(s)
	if err != nil {
		return err
	}
	*n = Size(v)
	return nil
}

// FormatSize writes n exactly, in the largest binary unit that divides it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
