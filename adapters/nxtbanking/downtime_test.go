package nxtbanking_test

import (
	"net/http"
	"testing"
	"time"

	"payops/adapters/nxtbanking"
	"payops/payout"
)

func signedBy(body string) http.Header {
	return http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), []byte(body))}}
}

// The sandbox's downtime notices (an extension of NxtBanking's webhooks)
// are read as ignored events carrying the downtime; every other event is
// parsed as before.
func TestDowntimeNotices(t *testing.T) {
	c := client("http://unused")
	at := time.Date(2026, 2, 26, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name, body string
		resolved   bool
		id, mode   string
		detail     string
		at         time.Time
	}{
		{"started, one mode", `{"event":"payout.downtime.started","downtime_id":"sbx_down_1","mode":"imps",` +
			`"message":"IMPS down","timestamp":"2026-02-26T10:30:00Z"}`, false, "sbx_down_1", "IMPS", "IMPS down", at},
		{"resolved, one mode", `{"event":"payout.downtime.resolved","downtime_id":"sbx_down_1","mode":"IMPS",` +
			`"timestamp":"2026-02-26T10:30:00Z"}`, true, "sbx_down_1", "IMPS", "", at},
		{"started, every mode, no time", `{"event":"payout.downtime.started"}`, false, "", "", "", time.Time{}},
		{"resolved, no id", `{"event":"payout.downtime.resolved","mode":"NEFT"}`, true, "", "NEFT", "", time.Time{}},
		{"a field of another type", `{"event":"payout.downtime.started","downtime_id":7,"mode":"IMPS"}`, false, "", "IMPS",
			"", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := c.Webhook(signedBy(tt.body), []byte(tt.body))
			if err != nil || !ev.Ignore || ev.Downtime == nil {
				t.Fatalf("got %+v %v, want an ignored event with a downtime", ev, err)
			}
			d := ev.Downtime
			if d.Resolved != tt.resolved || d.ID != tt.id || d.Mode != tt.mode || d.Detail != tt.detail || !d.At.Equal(tt.at) {
				t.Errorf("got %+v", *d)
			}
			if !ev.SentAt.Equal(tt.at) {
				t.Errorf("sent at %v, want %v", ev.SentAt, tt.at)
			}
		})
	}
}

// Events that are not downtime notices carry none, and a downtime event
// that is not one of the two, or a forged one, is not read as a notice.
func TestNotDowntime(t *testing.T) {
	c := client("http://unused")
	tests := []struct {
		name, body string
		want       payout.Status // "" for an error
	}{
		{"the seed's completed", seedWebhook, payout.Succeeded},
		{"failed", `{"event":"payout.failed","payout_id":"pay_1","reference_id":"R1","status":"FAILED"}`, payout.Failed},
		{"another downtime word", `{"event":"payout.downtime.scheduled"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := c.Webhook(signedBy(tt.body), []byte(tt.body))
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("got %+v, want an error", ev)
			case tt.want != "" && (err != nil || ev.Downtime != nil || ev.Ignore || ev.Observation.Status != tt.want):
				t.Errorf("got %+v %v, want status %s and no downtime", ev, err, tt.want)
			}
		})
	}
	forged := `{"event":"payout.downtime.started"}`
	if ev, err := c.Webhook(http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("other"), []byte(forged))}},
		[]byte(forged)); err == nil {
		t.Errorf("forged notice accepted: %+v", ev)
	}
}
