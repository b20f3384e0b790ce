package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// lastDelivery returns the newest stored delivery.
func lastDelivery(t *testing.T, a *app) store.Delivery {
	t.Helper()
	ds, err := a.store.Deliveries(context.Background(), store.DeliveryFilter{Limit: 1})
	if err != nil || len(ds) != 1 {
		t.Fatalf("newest delivery: %v (%d)", err, len(ds))
	}
	return ds[0]
}

// A signed delivery whose own send time is more than the tolerance (5
// minutes) from ours, either way, is refused with 401 and stored as
// rejected with the reason; so is a Paywize delivery without a readable
// X-Paywize-Timestamp. RazorpayX's created_at is when the event was made,
// which its retries keep for 24 hours: a retry within them is accepted. One without a time, where the provider does not
// always give one, is accepted; Xendit's time is not signed and not judged.
func TestWebhookSentTime(t *testing.T) {
	a := newApp(t, withProviders())
	now := time.Now()
	old, ahead, late := now.Add(-10*time.Minute), now.Add(10*time.Minute), now.Add(-4*time.Minute)
	ref := "ST-1"
	a.addPayout(ref, payout.Processing, time.Hour)
	ppid := sandbox.PayoutIDFor(ref)
	tests := []struct {
		name     string
		delivery signed
		code     int
		detail   string // a word of the stored detail when refused
	}{
		{"nxtb format, 10 min old", nxtbSigned(nxtbBody(ppid, ref, "SUCCESS", "UTR-OLD", old)), 401, "tolerance"},
		{"nxtb format, 10 min ahead", nxtbSigned(nxtbBody(ppid, ref, "SUCCESS", "UTR-AHEAD", ahead)), 401,
			"after it arrived"},
		{"nxtb format, unreadable time", nxtbSigned(`{"event":"payout.completed","payout_id":"` + ppid +
			`","status":"SUCCESS","timestamp":"last week"}`), 401, "RFC 3339"},
		{"paywize, no timestamp header", paywizeSigned(t, paywizePlain("CBP1", "PW-1", "COMPLETED", time.Time{}),
			time.Time{}), 401, "X-Paywize-Timestamp"},
		{"paywize, old header", paywizeSigned(t, paywizePlain("CBP2", "PW-2", "COMPLETED", time.Time{}), old), 401,
			"header time"},
		{"paywize, fresh header, old signed time", paywizeSigned(t, paywizePlain("CBP3", "PW-3", "COMPLETED", old), now),
			401, "signed time"},
		{"razorpayx, created a day and 10 min ago", razorpayxSigned(razorpayxBody("pout_1", "processed",
			now.Add(-24*time.Hour-10*time.Minute)), "evt_1"), 401, "provider retries"},
		{"razorpayx, created 10 min ahead", razorpayxSigned(razorpayxBody("pout_4", "processed", ahead), "evt_4"), 401,
			"after it arrived"},
		{"razorpayx, a retry 10 min after the event", razorpayxSigned(razorpayxBody("pout_5", "processed", old), "evt_5"),
			200, ""},
		{"nxtb format, 4 min late", nxtbSigned(nxtbBody(ppid, ref, "SUCCESS", "UTR-LATE", late)), 200, ""},
		{"nxtb format, no time", nxtbSigned(nxtbBody(ppid, ref, "SUCCESS", "UTR-LATE", time.Time{})), 200, ""},
		{"paywize, fresh", paywizeSigned(t, paywizePlain("CBP4", "PW-4", "COMPLETED", late), now), 200, ""},
		{"razorpayx, fresh", razorpayxSigned(razorpayxBody("pout_2", "processed", now), "evt_2"), 200, ""},
		{"razorpayx, no created_at", razorpayxSigned(razorpayxBody("pout_3", "processed", time.Time{}), "evt_3"), 200, ""},
		{"xendit, old created (not signed)", xenditSigned(xenditBody("disb-1", "XN-1", "SUCCEEDED", old)), 200, ""},
	}
	for _, tt := range tests {
		code, out := tt.delivery.post(t, a.srv.URL)
		if code != tt.code {
			t.Errorf("%s: got %d %v, want %d", tt.name, code, out, tt.code)
			continue
		}
		d := lastDelivery(t, a)
		if tt.code == 200 {
			if d.Outcome == store.OutcomeRejected {
				t.Errorf("%s: stored as rejected: %s", tt.name, d.Detail)
			}
			continue
		}
		if d.Outcome != store.OutcomeRejected || !strings.Contains(d.Detail, tt.detail) {
			t.Errorf("%s: stored %s %q, want rejected with %q", tt.name, d.Outcome, d.Detail, tt.detail)
		}
	}
	p, err := a.store.PayoutByRef(context.Background(), ref, store.First(true))
	if got, want := p.UTR, "UTR-LATE"; err != nil || got != want {
		t.Errorf("payout's UTR %q (%v), want %q: only the timely webhook applies", got, err, want)
	}
}

// The tolerance is the configured one.
func TestWebhookToleranceConfigured(t *testing.T) {
	a := newApp(t, withTolerance(time.Minute))
	a.addPayout("TC-1", payout.Processing, time.Hour)
	ppid := sandbox.PayoutIDFor("TC-1")
	tests := []struct {
		sent time.Time
		code int
	}{
		{time.Now().Add(-2 * time.Minute), 401},
		{time.Now().Add(-30 * time.Second), 200},
	}
	for _, tt := range tests {
		if got, _ := nxtbSigned(nxtbBody(ppid, "TC-1", "SUCCESS", "UTR1", tt.sent)).post(t, a.srv.URL); got != tt.code {
			t.Errorf("sent %s ago: got %d, want %d", time.Since(tt.sent).Round(time.Second), got, tt.code)
		}
	}
}

// X-Razorpay-Event-Id is not signed: the same signed body sent again under
// a new event id is a duplicate, not a new event. Different bodies are
// different events, and each applies.
func TestWebhookRazorpayXDedupesOnTheSignedBody(t *testing.T) {
	a := newApp(t, withProviders())
	a.addProviderPayout("razorpayx", "RZ-pout_D1", "pout_D1")
	now := time.Now()
	// failed, then reversed (the amount returned): each applies. (A
	// reversal after processed would be an anomaly: seed 003.)
	processed := razorpayxBody("pout_D1", "failed", now.Add(-time.Minute))
	reversed := razorpayxBody("pout_D1", "reversed", now)
	tests := []struct {
		name     string
		delivery signed
		outcome  string
	}{
		{"first", razorpayxSigned(processed, "evt_P1"), store.OutcomeApplied},
		{"same body, new event id", razorpayxSigned(processed, "evt_FORGED_1"), store.OutcomeDuplicate},
		{"same body, same event id", razorpayxSigned(processed, "evt_P1"), store.OutcomeDuplicate},
		{"a different event", razorpayxSigned(reversed, "evt_P2"), store.OutcomeApplied},
		{"that body, new event id", razorpayxSigned(reversed, "evt_FORGED_2"), store.OutcomeDuplicate},
	}
	for _, tt := range tests {
		code, out := tt.delivery.post(t, a.srv.URL)
		if got := out["outcome"]; code != 200 || got != tt.outcome {
			t.Errorf("%s: got %d %v, want 200 %s", tt.name, code, got, tt.outcome)
		}
		// The header's id stays readable among the stored headers.
		got, want := string(lastDelivery(t, a).HeadersRaw), tt.delivery.header["X-Razorpay-Event-Id"]
		if !strings.Contains(got, want) {
			t.Errorf("%s: stored headers %s lack the event id %s", tt.name, got, want)
		}
	}
	p, err := a.store.PayoutByRef(context.Background(), "RZ-pout_D1", store.First(true))
	if err != nil || p.Status != payout.Reversed {
		t.Errorf("payout %s (%v), want REVERSED", p.Status, err)
	}
	events, _ := a.store.EventsFor(context.Background(), p.ID)
	if got, want := len(events), 2; got != want {
		t.Errorf("%d payout events, want %d (the two different bodies)", got, want)
	}
}
