package nxtbanking_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
)

// seedWebhook is seed 000's payout.completed webhook.
const seedWebhook = `{
"event": "payout.completed",
"payout_id": "pay_xyz789",
"reference_id": "ORDER_12345",
"status": "SUCCESS",
"utr": "1234567890",
"amount": 50000,
"timestamp": "2026-02-26T10:30:00Z"
}`

func client(url string) *nxtbanking.Client {
	c := nxtbanking.NewClient(nxtbanking.Config{BaseURL: url, APIKey: "k", APISecret: "s", WebhookSecret: "nx_whsec"})
	c.Caller().BaseDelay = time.Millisecond
	return c
}

func TestWebhook(t *testing.T) {
	c := client("http://unused")
	sig := http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), []byte(seedWebhook))}}
	ev, err := c.Webhook(sig, []byte(seedWebhook))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Observation.Status != payout.Succeeded || ev.Observation.ProviderPayoutID != "pay_xyz789" || ev.ReferenceID != "ORDER_12345" ||
		ev.Observation.UTR != "1234567890" || ev.Type != "payout.completed" {
		t.Errorf("event %+v", ev)
	}
	// The status may come only in the event name.
	byName := `{"event":"payout.reversed","payout_id":"pay_1","reference_id":"R1"}`
	if ev, err := c.Webhook(http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), []byte(byName))}}, []byte(byName)); err != nil || ev.Observation.Status != payout.Reversed {
		t.Errorf("status from event name: %+v %v", ev, err)
	}
	tampered := strings.Replace(seedWebhook, "50000", "90000", 1)
	for name, h := range map[string]http.Header{
		"tampered":     sig,
		"wrong secret": {"X-Nxtb-Signature": {nxtbanking.Sign([]byte("other"), []byte(tampered))}},
		"upper hex":    {"X-Nxtb-Signature": {strings.ToUpper(nxtbanking.Sign([]byte("nx_whsec"), []byte(tampered)))}},
		"missing":      {},
	} {
		if _, err := c.Webhook(h, []byte(tampered)); err != adapters.ErrSignature {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[string]payout.Status{"initiated": payout.Queued, "QUEUED": payout.Queued, "processing": payout.Processing,
		"PENDING": payout.Processing, "success": payout.Succeeded, "completed": payout.Succeeded, "failed": payout.Failed,
		"reversed": payout.Reversed, "CANCELLED": payout.Cancelled}
	for in, want := range tests {
		if got, ok := nxtbanking.MapStatus(in); !ok || got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

// The API side runs against the sandbox, which speaks NxtBanking's
// documented API, behind a proxy that can fail requests.
func TestSubmitRetriesAndDuplicates(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.New(sandbox.Config{Seed: 1, APIKey: "k", APISecret: "s"})
	var fail atomic.Int32
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if fail.Load() > 0 {
			fail.Add(-1)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := client(srv.URL)
	p := adapters.Payout{ReferenceID: "ORDER_12345", Amount: payout.Money{Minor: 5000000, Currency: "INR"}, Mode: "IMPS",
		Beneficiary: adapters.Beneficiary{Name: "Vendor ABC Pvt Ltd", AccountNumber: "1234567890", IFSC: "HDFC0001234"}}
	fail.Store(2)
	obs, err := c.Submit(ctx, p)
	if err != nil || obs.ProviderPayoutID != sandbox.PayoutIDFor("ORDER_12345") {
		t.Fatalf("submit through two 502s: %+v %v", obs, err)
	}
	again, err := c.Submit(ctx, p) // 409: looked up by reference
	if err != nil || again.ProviderPayoutID != obs.ProviderPayoutID {
		t.Errorf("duplicate: %+v %v", again, err)
	}
	recs, err := c.List(ctx, time.Now().Add(-time.Minute), time.Now().Add(time.Minute))
	if err != nil || len(recs) != 1 || recs[0].Amount.Minor != 5000000 || recs[0].ReferenceID != "ORDER_12345" {
		t.Errorf("list: %+v %v", recs, err)
	}
	bad := nxtbanking.NewClient(nxtbanking.Config{BaseURL: srv.URL, APIKey: "k", APISecret: "wrong"})
	before := calls.Load()
	if _, err := bad.Submit(ctx, p); adapters.KindOf(err) != adapters.Credentials || calls.Load()-before != 1 {
		t.Errorf("401: %v after %d calls", err, calls.Load()-before)
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(seedWebhook))
	f.Add([]byte(`{"event":"payout.failed","payout_id":"p","failure_reason":"x","amount":"12.5"}`))
	f.Add([]byte(`{"event":"payout.downtime.started","downtime_id":"d1","mode":"IMPS","timestamp":"2026-02-26T10:30:00Z"}`))
	c := client("http://unused")
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), body)}}
		ev, err := c.Webhook(h, body)
		if err == nil && !ev.Ignore && ev.Observation.Status == "" {
			t.Errorf("accepted an event with no status: %q", body)
		}
	})
}

// The signed "timestamp" is the event's send time; a body without one has
// none, and one that cannot be read is refused.
func TestWebhookSentAt(t *testing.T) {
	c := client("http://unused")
	tests := []struct {
		body    string
		want    time.Time
		refused bool
	}{
		{seedWebhook, time.Date(2026, 2, 26, 10, 30, 0, 0, time.UTC), false},
		{`{"event":"payout.failed","payout_id":"p1","timestamp":"2026-02-26T16:00:00.25+05:30"}`,
			time.Date(2026, 2, 26, 10, 30, 0, 250e6, time.UTC), false},
		{`{"event":"payout.failed","payout_id":"p1"}`, time.Time{}, false},
		{`{"event":"payout.failed","payout_id":"p1","timestamp":"yesterday"}`, time.Time{}, true},
		{`{"event":"payout.failed","payout_id":"p1","timestamp":"1640995200"}`, time.Time{}, true},
	}
	for _, tt := range tests {
		h := http.Header{"X-Nxtb-Signature": {nxtbanking.Sign([]byte("nx_whsec"), []byte(tt.body))}}
		ev, err := c.Webhook(h, []byte(tt.body))
		if got := errors.Is(err, adapters.ErrTimestamp); got != tt.refused || !tt.refused && err != nil {
			t.Errorf("%s: err %v, want refused %v", tt.body, err, tt.refused)
			continue
		}
		if got := ev.SentAt; !got.Equal(tt.want) {
			t.Errorf("%s: SentAt %s, want %s", tt.body, got, tt.want)
		}
	}
}
