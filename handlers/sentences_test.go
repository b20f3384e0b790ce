package handlers

import (
	"testing"

	"payops/store"
)

// A payout's arrival reads its amount as every page shows amounts: grouped,
// lakhs for INR; an amount that does not parse still reads as recorded.
func TestPayoutCreatedSentenceGroupsTheAmount(t *testing.T) {
	for _, c := range []struct{ details, want string }{
		{`{"amount":"250000.00","currency":"INR","provider":"razorpayx","status":"QUEUED"}`,
			"Payout of 2,50,000.00 INR to razorpayx came in (QUEUED)"},
		{`{"amount":"150000011","currency":"IDR","provider":"xendit","status":"held"}`,
			"Payout of 150,000,011 IDR to xendit came in (HELD)"},
		{`{"amount":"12.5x","currency":"INR","provider":"sandbox","status":"QUEUED"}`,
			"Payout of 12.5x INR to sandbox came in (QUEUED)"},
	} {
		got := auditSentence(store.AuditEntry{Action: "payout.create", Details: []byte(c.details)})
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.details, got, c.want)
		}
	}
}
