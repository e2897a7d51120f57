package pyexec

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/sandhost/sandhost/internal/wire"
)

// On the wire, durations and sizes have sandhost's one form (internal/wire):
// "1.5s" or a bare number of seconds, "256MiB" or a bare number of bytes.
// The JSON of a struct with such fields shadows them with their wire forms
// (a field of the outer struct hides the embedded one of the same name).

// MarshalJSON writes the wire form of a Request.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	return json.Marshal(struct {
		plain
		Timeout wire.Duration `json:"timeout,omitempty"`
		Memory  wire.Size     `json:"memory,omitempty"`
	}{plain(r), wire.Duration(r.Timeout), wire.Size(r.Memory)})
}

// UnmarshalJSON reads the wire form of a Request.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	w := struct {
		*plain
		Timeout wire.Duration `json:"timeout"`
		Memory  wire.Size     `json:"memory"`
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
		Timeout    wire.Duration `json:"timeout,omitempty"`
		Memory     wire.Size     `json:"memory,omitempty"`
		OutputCap  wire.Size     `json:"output_cap,omitempty"`
		YieldAfter wire.Duration `json:"yield_after,omitempty"`
	}{plain(a), wire.Duration(a.Timeout), wire.Size(a.Memory), wire.Size(a.OutputCap), wire.Duration(a.YieldAfter)})
}

// UnmarshalJSON reads the wire form of ServiceArgs; an unknown field is an
// error, as registry.FactoryOf wants of constructor arguments.
func (a *ServiceArgs) UnmarshalJSON(b []byte) error {
	type plain ServiceArgs
	w := struct {
		*plain
		Timeout    wire.Duration `json:"timeout"`
		Memory     wire.Size     `json:"memory"`
		OutputCap  wire.Size     `json:"output_cap"`
		YieldAfter wire.Duration `json:"yield_after"`
	}{plain: (*plain)(a)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	a.Timeout, a.Memory, a.OutputCap = time.Duration(w.Timeout), int64(w.Memory), int64(w.OutputCap)
	a.YieldAfter = time.Duration(w.YieldAfter)
	return nil
}
