package drill

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"payops/payout"
)

func TestOutboundFigures(t *testing.T) {
	secret := payout.NewWebhookSecret()
	rc := NewReceiver(0)
	if err := rc.Trust(secret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	send := func(id, typ, ref, status string, signWith string) int {
		t.Helper()
		body := fmt.Sprintf(`{"type":%q,"timestamp":"2026-12-02T00:00:00Z","data":{"reference_id":%q,"status":%q}}`, typ, ref, status)
		now := time.Now()
		sig, err := payout.SignWebhook([]string{signWith}, id, now, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", fmt.Sprint(now.Unix()))
		req.Header.Set("webhook-signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	send("msg_1", "payout.created", "A", "QUEUED", secret)
	send("msg_3", "payout.succeeded", "A", "SUCCEEDED", secret) // before msg_2: out of order
	send("msg_2", "payout.processing", "A", "PROCESSING", secret)
	send("msg_2", "payout.processing", "A", "PROCESSING", secret) // again: a duplicate, not an error
	send("msg_4", "payout.created", "B", "QUEUED", secret)
	if code := send("msg_5", "payout.failed", "B", "FAILED", payout.NewWebhookSecret()); code != http.StatusUnauthorized {
		t.Errorf("a bad signature answered %d", code)
	}
	events := []CommittedEvent{{"msg_1", "A", "payout.created"}, {"msg_2", "A", "payout.processing"},
		{"msg_3", "A", "payout.succeeded"}, {"msg_4", "B", "payout.created"}, {"msg_5", "B", "payout.failed"}}
	got := rc.Figures(events, map[string]string{"A": "SUCCEEDED", "B": "FAILED", "C": "QUEUED"})
	// Lost: msg_5 never accepted; B's FAILED never told; C never announced;
	// and A's SUCCEEDED, since the out-of-order PROCESSING came last.
	want := Outbound{Events: 5, Accepted: 4, Duplicates: 1, BadSignatures: 1, Lost: 4, OutOfOrder: 1}
	got.Examples = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("figures\n got %+v\nwant %+v", got, want)
	}
	if got.OK() {
		t.Error("figures with losses are OK")
	}
}
