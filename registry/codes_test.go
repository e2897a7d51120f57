package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Every error class survives the trip through a reply: the decoded error
// matches its sentinel and says it once ("service already exists: service
// already exists" and "invalid argument: invalid argument" were seen).
func TestErrorCodesRoundTrip(t *testing.T) {
	for _, row := range errorCodes {
		sent := fmt.Errorf("registry: construct %q: %w: detail", "svc", row.err)
		got := responseError(encodeResult("id", nil, sent), "svc", "start")
		if !errors.Is(got, row.err) {
			t.Errorf("code %s: decoded %v does not match %v", row.code, got, row.err)
		}
		if n := strings.Count(got.Error(), row.err.Error()); n != 1 {
			t.Errorf("code %s: %q says %q %d times", row.code, got, row.err, n)
		}
		if !strings.Contains(got.Error(), "detail") {
			t.Errorf("code %s: %q lost the message", row.code, got)
		}
	}
	// A nested call across hosts keeps every sentinel a caller may test.
	for _, sentinel := range []error{ErrLost, ErrClosed, ErrHostGone, ErrNotFound} {
		if codeOf(sentinel) == codeFailed {
			t.Errorf("%v has no code: a nested call across hosts loses it", sentinel)
		}
	}
	// A message that does not name its class gets it.
	got := responseError(encodeResult("id", nil, ErrDeadlineExceeded), "svc", "m")
	if !errors.Is(got, ErrDeadlineExceeded) || !strings.Contains(got.Error(), "deadline") {
		t.Errorf("deadline decoded as %v", got)
	}
	var se *ServiceError
	if got := responseError(encodeResult("id", nil, errors.New("boom")), "svc", "m"); !errors.As(got, &se) || se.Message != "boom" {
		t.Errorf("a service's own error decoded as %#v", got)
	}
	if responseError(encodeResult("id", []byte("ok"), nil), "svc", "m") != nil {
		t.Error("success decoded as an error")
	}
}
