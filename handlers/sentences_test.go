package handlers

import (
	"strings"
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

// A release reads as an approval only when it was one; an entry without a
// note reads without one.
func TestReleaseSentences(t *testing.T) {
	for _, c := range []struct{ action, details, want string }{
		{"hold.release", `{"hold":7,"note":"KYC refreshed"}`, "Released hold #7: “KYC refreshed”"},
		{"hold.release", `{"hold":7}`, "Released hold #7"},
		{"hold.release", `{"hold":7,"approval":2,"of":2,"note":"ok"}`, "Approval 2 of 2 given and hold #7 released: “ok”"},
		{"exception.resolve", `{}`, "Resolved"},
	} {
		got := auditSentence(store.AuditEntry{Action: c.action, Details: []byte(c.details)})
		if got != c.want {
			t.Errorf("%s %s: %q, want %q", c.action, c.details, got, c.want)
		}
	}
}

// A market's entries read in words, its document's changes one a line
// ("live: false → true"), not as numbered keys of a list.
func TestMarketEntriesReadInWords(t *testing.T) {
	details := `{"version":2,"live":true,"reason":"launch","changes":[{"Field":"live","From":"false","To":"true"},` +
		`{"Field":"owners.tax","From":"","To":"tax@example.com"}]}`
	if got, want := auditSentence(store.AuditEntry{Action: "market.apply", Details: []byte(details)}),
		"Launch document version 2 loaded, live: “launch”"; got != want {
		t.Errorf("sentence %q, want %q", got, want)
	}
	var lines []string
	for _, d := range flatDetails(auditDetails([]byte(details))) {
		lines = append(lines, d.Key+": "+d.Value)
	}
	if got, want := strings.Join(lines, "; "), "live: false → true; owners.tax: — → tax@example.com; live: true; reason: launch; version: 2"; got != want {
		t.Errorf("details %q, want %q", got, want)
	}
	if got := auditSentence(store.AuditEntry{Action: "market.approve", Details: []byte(`{"proposal":3,"version":4}`)}); got != "Proposal #3 approved: version 4 is live" {
		t.Errorf("approve: %q", got)
	}
}

// A failure class's owner change links to its row on the owners page; a
// kind's to the kinds' table.
func TestCaseOwnerEntriesLinkToTheirRow(t *testing.T) {
	for id, want := range map[string]string{
		"failed_after_send:funding": "/holds/owners#class-owner-funding",
		"anomaly":                   "/holds/owners#exception-owners",
	} {
		if _, _, href := auditEntity(store.AuditEntry{EntityType: "exception_kind", EntityID: id}, nil, "admin"); href != want {
			t.Errorf("%s links to %q, want %q", id, href, want)
		}
	}
}
