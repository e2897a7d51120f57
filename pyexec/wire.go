package pyexec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sandhost/sandhost/internal/bytesize"
)

// On the wire (the JSON of Request and ServiceArgs, and the flags of
// `host exec`), durations and sizes have one form, the one people type:
//
//   - a duration is a string in Go's syntax: "1.5s", "300ms", "2m". A bare
//     number is read as seconds, TorchRL's unit ({"timeout": 10}).
//   - a size is a string with a unit: "256MiB", "1GB" (KiB/MiB/GiB are
//     powers of 1024, KB/MB/GB of 1000). A bare number is bytes.
//
// Encoding writes the string form. In Go, the fields are time.Duration and
// bytes (int64), so nothing is parsed past the wire.

// wireDuration is a time.Duration in its wire form.
type wireDuration time.Duration

func (d wireDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *wireDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if json.Unmarshal(b, &secs) != nil {
			return fmt.Errorf("duration %s: want a string such as \"1.5s\" or a number of seconds", b)
		}
		*d = wireDuration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = wireDuration(v)
	return nil
}

// wireSize is a byte count in its wire form.
type wireSize int64

func (n wireSize) MarshalJSON() ([]byte, error) { return json.Marshal(formatSize(int64(n))) }

func (n *wireSize) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var v int64
		if json.Unmarshal(b, &v) != nil {
			return fmt.Errorf("size %s: want a string such as \"256MiB\" or a number of bytes", b)
		}
		*n = wireSize(v)
		return nil
	}
	v, err := bytesize.Parse(s)
	if err != nil {
		return err
	}
	*n = wireSize(v)
	return nil
}

// formatSize writes n exactly, in the largest binary unit that divides it.
func formatSize(n int64) string {
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

// The JSON of a struct with such fields shadows them with their wire forms
// (a field of the outer struct hides the embedded one of the same name).

// MarshalJSON writes the wire form of a Request.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	return json.Marshal(struct {
		plain
		Timeout wireDuration `json:"timeout,omitempty"`
		Memory  wireSize     `json:"memory,omitempty"`
	}{plain(r), wireDuration(r.Timeout), wireSize(r.Memory)})
}

// UnmarshalJSON reads the wire form of a Request.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	w := struct {
		*plain
		Timeout wireDuration `json:"timeout"`
		Memory  wireSize     `json:"memory"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.Timeout, r.Memory = time.Duration(w.Timeout), int64(w.Memory)
	return nil
}

// MarshalJSON writes the wire form of ServiceArgs.
func (a ServiceArgs) MarshalJSON() ([]byte, error) {
	type plain ServiceArgs
	return json.Marshal(struct {
		plain
		Timeout   wireDuration `json:"timeout,omitempty"`
		Memory    wireSize     `json:"memory,omitempty"`
		OutputCap wireSize     `json:"output_cap,omitempty"`
	}{plain(a), wireDuration(a.Timeout), wireSize(a.Memory), wireSize(a.OutputCap)})
}

// UnmarshalJSON reads the wire form of ServiceArgs; an unknown field is an
// error, as registry.FactoryOf wants of constructor arguments.
func (a *ServiceArgs) UnmarshalJSON(b []byte) error {
	type plain ServiceArgs
	w := struct {
		*plain
		Timeout   wireDuration `json:"timeout"`
		Memory    wireSize     `json:"memory"`
		OutputCap wireSize     `json:"output_cap"`
	}{plain: (*plain)(a)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	a.Timeout, a.Memory, a.OutputCap = time.Duration(w.Timeout), int64(w.Memory), int64(w.OutputCap)
	return nil
}
