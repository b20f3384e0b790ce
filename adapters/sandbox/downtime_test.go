package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
)

// The sandbox announces its outage as the nxtbanking adapter reads it,
// answers creates of the mode 503 while it lasts, counts those that came
// after payops acknowledged the start, and works again once it has sent
// the resolution. A notice payops does not take at once is sent again.
func TestDowntime(t *testing.T) {
	reader := nxtbanking.NewClient(nxtbanking.Config{WebhookSecret: "whsec"})
	var mu sync.Mutex
	var notices []adapters.Downtime
	refused := false
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ev, err := reader.Webhook(r.Header, b)
		if err != nil {
			t.Errorf("webhook %s: %v", b, err)
		}
		if ev.Downtime == nil {
			return // a payout's
		}
		mu.Lock()
		defer mu.Unlock()
		if !refused { // the first delivery: payops is restarting
			refused = true
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		notices = append(notices, *ev.Downtime)
	}))
	defer hook.Close()
	sb := sandbox.New(sandbox.Config{Seed: seed, APIKey: "k", APISecret: "s", WebhookURL: hook.URL, WebhookSecret: "whsec",
		SettleAfter: 20 * time.Millisecond, Chaos: &sandbox.Chaos{Downtime: 300 * time.Millisecond, DowntimeMode: "imps"}})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	tok := token(t, srv.URL)
	createMode := func(ref, mode string) int {
		code, _ := call(t, "POST", srv.URL+"/api/v1/payouts", tok,
			`{"beneficiary_id":"ben_1","amount":100,"mode":"`+mode+`","reference_id":"`+ref+`"}`)
		return code
	}

	if got := createMode("DT-1", "IMPS"); got != http.StatusOK {
		t.Fatalf("before the outage: %d", got)
	}
	if err := sb.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(notices) != 1 || notices[0].Resolved || notices[0].ID != sandbox.DowntimeID || notices[0].Mode != "IMPS" {
		t.Errorf("after Start: %+v, want one start for IMPS", notices)
	}
	mu.Unlock()
	if got := createMode("DT-2", "IMPS"); got != http.StatusServiceUnavailable {
		t.Errorf("IMPS during the outage: %d, want 503", got)
	}
	if got := createMode("DT-3", "NEFT"); got != http.StatusOK {
		t.Errorf("NEFT during an IMPS outage: %d, want 200", got)
	}
	if sb.Settled(time.Now().Add(time.Hour)) {
		t.Error("settled before the resolution was sent")
	}
	sb.Wait()
	mu.Lock()
	if len(notices) != 2 || !notices[1].Resolved || notices[1].ID != sandbox.DowntimeID {
		t.Errorf("after the outage: %+v, want the start and its resolution", notices)
	}
	mu.Unlock()
	if got := createMode("DT-2", "IMPS"); got != http.StatusOK {
		t.Errorf("IMPS after the outage: %d, want 200", got)
	}
	c := sb.Counts()
	if c.DowntimeNotices != 2 || c.DowntimeErrors != 1 || c.SentWhilePaused != 1 {
		t.Errorf("counts %+v, want 2 notices, 1 create refused, sent while paused", c)
	}
}

// Without a downtime Start does nothing.
func TestStartWithoutDowntime(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Seed: seed, WebhookURL: "http://127.0.0.1:1", Chaos: &sandbox.Chaos{}})
	if err := sb.Start(context.Background()); err != nil || sb.Counts().DowntimeNotices != 0 {
		t.Errorf("Start: %v, %+v", err, sb.Counts())
	}
}
