package pyexec_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sandhost/sandhost/pyexec"
)

// Durations and sizes travel in the form people type; a bare number is
// seconds or bytes (TorchRL's {"timeout": 10}).
func TestWireForm(t *testing.T) {
	var r pyexec.Request
	if err := json.Unmarshal([]byte(`{"code": "pass", "timeout": "1.5s", "memory": "128MiB", "session": "s"}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Code != "pass" || r.Timeout != 1500*time.Millisecond || r.Memory != 128<<20 || r.Session != "s" {
		t.Fatalf("decoded %+v", r)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"timeout":"1.5s"`) || !strings.Contains(string(b), `"memory":"128MiB"`) {
		t.Fatalf("encoded %s %v", b, err)
	}
	var back pyexec.Request
	if err := json.Unmarshal(b, &back); err != nil || back.Timeout != r.Timeout || back.Memory != r.Memory {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if b, _ := json.Marshal(pyexec.Request{Code: "x"}); string(b) != `{"code":"x"}` {
		t.Fatalf("defaults are not sent: %s", b)
	}

	var a pyexec.ServiceArgs
	if err := json.Unmarshal([]byte(`{"pool_size": 2, "timeout": 10, "memory": 268435456, "output_cap": "1MiB", "services": ["tokenizer"], "yield_after": "-1s"}`), &a); err != nil {
		t.Fatal(err)
	}
	if a.PoolSize != 2 || a.Timeout != 10*time.Second || a.Memory != 256<<20 || a.OutputCap != 1<<20 ||
		len(a.Services) != 1 || a.Services[0] != "tokenizer" || a.YieldAfter != -time.Second {
		t.Fatalf("decoded %+v", a)
	}
	if b, _ := json.Marshal(a); !strings.Contains(string(b), `"services":["tokenizer"]`) {
		t.Fatalf("encoded %s", b)
	}
	for _, bad := range []string{`{"timeout": "10 parsecs"}`, `{"memory": "lots"}`, `{"pool_sise": 2}`} {
		if err := json.Unmarshal([]byte(bad), &a); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
