package wire

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationForms(t *testing.T) {
	for in, want := range map[string]time.Duration{`"1.5s"`: 1500 * time.Millisecond, `"300ms"`: 300 * time.Millisecond, `10`: 10 * time.Second, `0.25`: 250 * time.Millisecond} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("duration %s = %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, bad := range []string{`"10"`, `"soon"`, `true`} {
		var d Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("duration %s accepted as %v", bad, time.Duration(d))
		}
	}
	if b, _ := json.Marshal(Duration(90 * time.Second)); string(b) != `"1m30s"` {
		t.Errorf("90 s written as %s", b)
	}
}

func TestSizeForms(t *testing.T) {
	for in, want := range map[string]int64{`"256MiB"`: 256 << 20, `"1GB"`: 1e9, `4096`: 4096} {
		var n Size
		if err := json.Unmarshal([]byte(in), &n); err != nil || int64(n) != want {
			t.Errorf("size %s = %d, %v; want %d", in, n, err, want)
		}
	}
	for n, want := range map[int64]string{256 << 20: `"256MiB"`, 1500: `"1500B"`, 4 << 30: `"4GiB"`} {
		if b, _ := json.Marshal(Size(n)); string(b) != want {
			t.Errorf("%d written as %s, want %s", n, b, want)
		}
	}
}
