package adapters

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"payops/payout"
)

func TestCheckText(t *testing.T) {
	body := []byte(`{"event":"payout.completed","payout_id":"pay_xyz789","utr":"1234567890"}`)
	good := Event{Type: "payout.completed", ReferenceID: "ORDER_12345", Payload: body,
		Observation: payout.Observation{ProviderPayoutID: "pay_xyz789", RawStatus: "SUCCESS", UTR: "1234567890",
			FailureReason: "Beneficiary bank’s server is down"}}
	tests := []struct {
		name string
		body []byte
		edit func(*Event)
		want string // "" for text, else the field named
	}{
		{"clean, with a non-ASCII character", body, func(*Event) {}, ""},
		{"invalid UTF-8 in the body", []byte("{\"utr\":\"\xff\"}"), func(*Event) {}, "body"},
		{"NUL in the body", []byte("{\"utr\":\"1\x00\"}"), func(*Event) {}, "body"},
		{"invalid UTF-8 in the payload", body, func(e *Event) { e.Payload = []byte("\xc3\x28") }, "payload"},
		{"NUL in the event type", body, func(e *Event) { e.Type = "payout.\x00" }, "event type"},
		{"invalid UTF-8 in the event type", body, func(e *Event) { e.Type = "payout\xff" }, "event type"},
		{"NUL in the reference", body, func(e *Event) { e.ReferenceID = "ORDER\x00" }, "reference id"},
		{"NUL in the payout id", body, func(e *Event) { e.Observation.ProviderPayoutID = "\x00" }, "provider payout id"},
		{"NUL in the UTR", body, func(e *Event) { e.Observation.UTR = "UTR\x00" }, "UTR"},
		{"NUL in the failure code", body, func(e *Event) { e.Observation.FailureCode = "\x00" }, "failure code"},
		{"NUL in the failure reason", body, func(e *Event) { e.Observation.FailureReason = "x\x00" }, "failure reason"},
		{"NUL in the event id", body, func(e *Event) { e.ID = "evt\x00" }, "event id"},
		{"a clean downtime", body, func(e *Event) { e.Downtime = &Downtime{ID: "d1", Mode: "IMPS", Detail: "bank’s down"} }, ""},
		{"NUL in a downtime id", body, func(e *Event) { e.Downtime = &Downtime{ID: "d\x00"} }, "downtime id"},
		{"invalid UTF-8 in a downtime mode", body, func(e *Event) { e.Downtime = &Downtime{Mode: "\xff"} }, "downtime mode"},
		{"NUL in a downtime detail", body, func(e *Event) { e.Downtime = &Downtime{Detail: "x\x00"} }, "downtime detail"},
	}
	for _, tt := range tests {
		ev := good
		tt.edit(&ev)
		err := CheckText(tt.body, ev)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: got %v, want nil", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "the "+tt.want+" is not") {
			t.Errorf("%s: got %v, want ErrMalformed naming the %s", tt.name, err, tt.want)
		}
	}
}

// A provider's error message becomes an event's detail: cut at 200 bytes
// without splitting a character, and without the NUL or broken bytes
// PostgreSQL refuses in text, else the Re-check that met it could not be
// recorded.
func TestTruncateKeepsStorableText(t *testing.T) {
	long := strings.Repeat("a", 199) + "é and more"
	got := truncate(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 200+len("…") {
		t.Errorf("truncate(%q) = %q", long, got)
	}
	if got := truncate(" bad\x00 byte \xff here "); got != "bad byte \uFFFD here" {
		t.Errorf("truncate = %q", got)
	}
}
