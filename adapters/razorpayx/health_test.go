package razorpayx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"payops/adapters/razorpayx"
)

func TestDowntimeNotices(t *testing.T) {
	c := razorpayx.NewClient(razorpayx.Config{KeyID: "k", KeySecret: "s", WebhookSecrets: []string{"whsec"}})
	for _, tc := range []struct {
		name, body string
		resolved   bool
		id, mode   string
		at         time.Time
	}{
		{"started, no mode", sampleDowntime, false, "poutdown_1", "", time.Time{}},
		{"started, one mode", `{"event":"payout.downtime.started","payload":{"payout.downtime":{"entity":{"id":"pd_2","mode":"neft","begin":1755693000,"message":"NEFT delayed"}}}}`,
			false, "pd_2", "NEFT", time.Unix(1755693000, 0)},
		{"resolved, method", `{"event":"payout.downtime.resolved","payload":{"payout.downtime":{"entity":{"id":"pd_2","method":"IMPS","end":1755699000}}}}`,
			true, "pd_2", "IMPS", time.Unix(1755699000, 0)},
		{"no entity", `{"event":"payout.downtime.resolved"}`, true, "", "", time.Time{}},
	} {
		ev, err := c.Webhook(signed("whsec", tc.body), []byte(tc.body))
		if err != nil || !ev.Ignore || ev.Downtime == nil {
			t.Fatalf("%s: %+v %v, want an ignored event with a downtime", tc.name, ev, err)
		}
		d := ev.Downtime
		if d.Resolved != tc.resolved || d.ID != tc.id || d.Mode != tc.mode || !d.At.Equal(tc.at) {
			t.Errorf("%s: got %+v", tc.name, *d)
		}
	}
}

func TestBalance(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "k" || p != "s" || r.URL.Path != "/v1/banking_balances" {
			http.Error(w, `{"error":{"code":"BAD_REQUEST_ERROR","description":"no"}}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"entity":"collection","count":2,"items":[
			{"entity":"banking_balance","currency":"INR","account_number":"111","amount":5,"available_amount":5},
			{"entity":"banking_balance","currency":"INR","account_number":"2323230000000001","amount":186682638,"available_amount":186682600}]}`))
	}))
	defer srv.Close()
	c := razorpayx.NewClient(razorpayx.Config{BaseURL: srv.URL, KeyID: "k", KeySecret: "s", AccountNumber: "2323230000000001"})
	got, err := c.Balance(context.Background())
	if err != nil || got.Minor != 186682600 || got.Currency != "INR" {
		t.Fatalf("got %v %v, want the configured account's available amount", got, err)
	}
	other := razorpayx.NewClient(razorpayx.Config{BaseURL: srv.URL, KeyID: "k", KeySecret: "s", AccountNumber: "999"})
	if _, err := other.Balance(context.Background()); err == nil {
		t.Fatal("a balance for an account not listed")
	}
}
