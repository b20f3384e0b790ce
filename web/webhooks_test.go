package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

func postWebhook(t *testing.T, url, provider, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/webhooks/"+provider, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func sandboxWebhook(ref, status, utr string) (string, map[string]string) {
	body, _ := json.Marshal(map[string]any{"event": "payout." + strings.ToLower(status), "payout_id": sandbox.PayoutIDFor(ref),
		"reference_id": ref, "status": status, "utr": utr, "amount": 1250.5, "timestamp": time.Now().UTC().Format(time.RFC3339)})
	return string(body), map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte(sandboxWebhookSecret), body)}
}

func TestWebhookEndpoint(t *testing.T) {
	a := newApp(t)
	a.addPayout("WH-1", payout.Processing, time.Hour)
	ctx := context.Background()

	body, sig := sandboxWebhook("WH-1", "SUCCESS", "UTR777")
	if code, out := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 || out["outcome"] != "applied" {
		t.Errorf("first delivery: %d %v", code, out)
	}
	if code, out := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 || out["outcome"] != "duplicate" {
		t.Errorf("second delivery: %d %v", code, out)
	}
	stale, staleSig := sandboxWebhook("WH-1", "PROCESSING", "")
	if code, out := postWebhook(t, a.srv.URL, "sandbox", stale, staleSig); code != 200 || out["outcome"] != "stale" {
		t.Errorf("stale delivery: %d %v", code, out)
	}
	orphan, orphanSig := sandboxWebhook("WH-UNKNOWN", "SUCCESS", "UTR1")
	if code, out := postWebhook(t, a.srv.URL, "sandbox", orphan, orphanSig); code != 200 || out["outcome"] != "orphan" {
		t.Errorf("orphan delivery: %d %v", code, out)
	}
	p, _ := a.store.PayoutByRef(ctx, "WH-1", store.First(true))
	if p.Status != payout.Succeeded || p.UTR != "UTR777" {
		t.Errorf("payout after webhooks: %s %q", p.Status, p.UTR)
	}

	// Forged, tampered, unsigned: 401 and nothing changes.
	a.addPayout("WH-2", payout.Processing, time.Hour)
	forged, _ := sandboxWebhook("WH-2", "SUCCESS", "UTR-FORGED")
	forgedSig := map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte("guessed"), []byte(forged))}
	for name, h := range map[string]map[string]string{"forged": forgedSig, "unsigned": nil, "tampered": sig} {
		if code, _ := postWebhook(t, a.srv.URL, "sandbox", forged, h); code != 401 {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}
	if p, _ := a.store.PayoutByRef(ctx, "WH-2", store.First(true)); p.Status != payout.Processing {
		t.Errorf("forged webhook changed the payout to %s", p.Status)
	}
	garbage := "not json"
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", garbage, map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte(sandboxWebhookSecret), []byte(garbage))}); code != 400 {
		t.Errorf("signed garbage: %d, want 400", code)
	}
	if code, _ := postWebhook(t, a.srv.URL, "stripe", body, sig); code != 404 {
		t.Errorf("unknown provider: %d, want 404", code)
	}
	if code, _ := postWebhook(t, a.srv.URL, "xendit", body, sig); code != 404 {
		t.Errorf("provider not configured: %d, want 404", code)
	}
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", strings.Repeat("x", 1<<20+1), sig); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d, want 413", code)
	}
	// A browser-looking cross-site post is still judged by its signature.
	h := map[string]string{"X-NxtB-Signature": sig["X-NxtB-Signature"], "Sec-Fetch-Site": "cross-site"}
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, h); code != 200 {
		t.Errorf("signed delivery with Sec-Fetch-Site: %d", code)
	}

	ds, err := a.store.Deliveries(ctx, store.DeliveryFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, d := range ds {
		counts[d.Outcome]++
	}
	want := map[string]int{"applied": 1, "duplicate": 2, "stale": 1, "orphan": 1, "rejected": 3, "malformed": 2}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%d %s deliveries stored, want %d (all: %v)", counts[k], k, v, counts)
		}
	}
}

// While the database is down the endpoint answers 503 so the provider
// retries; the retry after recovery applies the event once.
func TestWebhookDatabaseDown(t *testing.T) {
	var px *proxy
	a := newApp(t, throughProxy(t, &px))
	a.addPayout("WD-1", payout.Processing, time.Hour)
	body, sig := sandboxWebhook("WD-1", "SUCCESS", "UTR5")
	px.setDown(true)
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != http.StatusServiceUnavailable {
		t.Errorf("database down: %d, want 503", code)
	}
	px.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out := postWebhook(t, a.srv.URL, "sandbox", body, sig)
		if code == 200 {
			if out["outcome"] != "applied" {
				t.Errorf("retry after recovery: %v", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d after recovery", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p, _ := a.store.PayoutByRef(context.Background(), "WD-1", store.First(true)); p.Status != payout.Succeeded {
		t.Errorf("status %s", p.Status)
	}
}

// A flood of forged deliveries is refused one by one (401), but only the
// first of them, up to a burst a provider, are kept as evidence: past it
// they are counted, not stored, and a genuine delivery still gets through.
func TestAForgedFloodIsCountedNotStored(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	a.addPayout("FL-1", payout.Processing, time.Hour)
	forged, _ := sandboxWebhook("FL-1", "SUCCESS", "UTR-FORGED")
	bad := map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte("guessed"), []byte(forged))}
	for i := range 150 {
		if code, _ := postWebhook(t, a.srv.URL, "sandbox", forged, bad); code != http.StatusUnauthorized {
			t.Fatalf("forgery %d: %d, want 401", i, code)
		}
	}
	var stored int
	if err := a.store.DB().GetContext(ctx, &stored, `SELECT count(*) FROM webhook_deliveries WHERE outcome = 'rejected'`); err != nil {
		t.Fatal(err)
	}
	if stored < 60 || stored > 70 {
		t.Errorf("%d of 150 forgeries stored, want about the burst of 60", stored)
	}
	body, sig := sandboxWebhook("FL-1", "SUCCESS", "UTR-REAL")
	if code, out := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 || out["outcome"] != "applied" {
		t.Errorf("the genuine delivery after the flood: %d %v", code, out)
	}
}
