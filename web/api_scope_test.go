package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// token makes an API token as spec says and returns its secret.
func (a *app) token(spec store.TokenSpec) string {
	a.t.Helper()
	secret, err := store.NewToken()
	if err == nil {
		_, err = a.store.CreateToken(context.Background(), spec, secret)
	}
	if err != nil {
		a.t.Fatal(err)
	}
	return secret
}

func withProvider(p string) func(m map[string]any) {
	return func(m map[string]any) { m["provider"] = p }
}

// Test providers are no door into production: a live token cannot send a
// payout to the sandbox or the drill provider, a test token cannot send one
// to a real provider, and neither reads the other's payouts.
func TestAPITokenScopes(t *testing.T) {
	a := newApp(t, withLiveProvider(), withDrills())
	live := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	test := a.token(store.TokenSpec{Name: "try", Scope: payout.ScopeTest})
	drills := a.token(store.TokenSpec{Name: "ops", Scope: payout.ScopeDrills})
	refused := []struct {
		name, token, provider string
		says                  string
	}{
		{"live token to the sandbox", live, "sandbox", "test provider"},
		{"live token to the drill provider, off", live, "drill", "unknown provider"},
		{"test token to a real provider", test, "nxtbanking", "test token"},
		{"test token to the drill provider, off", test, "drill", "unknown provider"},
	}
	for i, tt := range refused {
		code, p, _ := a.api("POST", "/api/v1/payouts", tt.token, apiBody("SC-"+strconv.Itoa(i), withProvider(tt.provider)))
		fields, _ := p["fields"].(map[string]any)
		if msg, _ := fields["provider"].(string); code != http.StatusUnprocessableEntity || !strings.Contains(msg, tt.says) {
			t.Errorf("%s: %d %v, want 422 with provider saying %q", tt.name, code, p, tt.says)
		}
	}
	if code, p, _ := a.api("POST", "/api/v1/payouts", drills, apiBody("SC-D", nil)); code != http.StatusForbidden {
		t.Errorf("drills token sends a payout: %d %v", code, p)
	}
	if n := a.payoutCount(); n != 0 {
		t.Fatalf("%d payouts recorded from refused requests", n)
	}

	if code, p, _ := a.api("POST", "/api/v1/payouts", live, apiBody("SC-LIVE", withProvider("nxtbanking"))); code != http.StatusAccepted {
		t.Fatalf("live token to a real provider: %d %v", code, p)
	}
	if code, p, _ := a.api("POST", "/api/v1/payouts", test, apiBody("SC-TEST", nil)); code != http.StatusAccepted {
		t.Fatalf("test token to the sandbox: %d %v", code, p)
	}
	for _, tt := range []struct {
		token, ref string
		want       int
	}{{live, "SC-LIVE", 200}, {live, "SC-TEST", 404}, {test, "SC-TEST", 200}, {test, "SC-LIVE", 404}, {drills, "SC-LIVE", 403}} {
		if code, _, _ := a.api("GET", "/api/v1/payouts/"+tt.ref, tt.token, ""); code != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.ref, code, tt.want)
		}
	}
}

// Each token has a rate (429 with Retry-After over it) and may be bound to
// networks (403 from elsewhere).
func TestAPIRateAndAllowlist(t *testing.T) {
	a := newApp(t)
	slow := a.token(store.TokenSpec{Name: "slow", Scope: payout.ScopeTest, RatePerSecond: 1})
	codes := map[int]int{}
	var retry string
	for range 5 {
		code, _, h := a.api("GET", "/api/v1/payouts/NONE", slow, "")
		codes[code]++
		if code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
		}
	}
	// A rate of 1 a second has a burst of 2: the rest wait.
	if codes[http.StatusNotFound] != 2 || codes[http.StatusTooManyRequests] != 3 {
		t.Fatalf("5 requests at once on a 1/s token: %v, want 2 answered and 3 refused", codes)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 {
		t.Fatalf("Retry-After %q, want whole seconds", retry)
	}
	elsewhere := a.token(store.TokenSpec{Name: "office", Scope: payout.ScopeTest, AllowFrom: []string{"10.0.0.0/8"}})
	code, p, _ := a.api("GET", "/api/v1/payouts/NONE", elsewhere, "")
	if msg, _ := p["message"].(string); code != http.StatusForbidden || !strings.Contains(msg, "127.0.0.1") {
		t.Fatalf("token bound to 10.0.0.0/8 used from loopback: %d %v", code, p)
	}
	here := a.token(store.TokenSpec{Name: "here", Scope: payout.ScopeTest, AllowFrom: []string{"127.0.0.1/32"}})
	if code, _, _ := a.api("GET", "/api/v1/payouts/NONE", here, ""); code != http.StatusNotFound {
		t.Fatalf("token bound to loopback used from loopback: %d", code)
	}
}

// The drill provider exists only while a drill runs: before, its webhooks
// are an unknown provider's and nothing is recorded.
func TestDrillProviderOffBetweenDrills(t *testing.T) {
	a := newApp(t, withDrills())
	code, _, _ := a.client().send("POST", "/webhooks/drill", strings.NewReader(`{"payout_id":"p1","status":"SUCCESS"}`), nil)
	if code != http.StatusNotFound {
		t.Fatalf("webhook to the drill provider between drills: %d, want 404", code)
	}
	var n int
	a.store.DB().Get(&n, `SELECT count(*) FROM webhook_deliveries`)
	if n != 0 {
		t.Fatalf("%d deliveries recorded for a provider that is off", n)
	}
}

// Drills tokens start a drill through the API (what payops drill does) and
// follow it to its report; other tokens may not.
func TestAPIDrills(t *testing.T) {
	a := newApp(t, withDrills())
	drills := a.token(store.TokenSpec{Name: "ops", Scope: payout.ScopeDrills})
	test := a.token(store.TokenSpec{Name: "try", Scope: payout.ScopeTest})
	if code, _, _ := a.api("POST", "/api/v1/drills", test, `{"scenario":"happy","payouts":3}`); code != http.StatusForbidden {
		t.Fatalf("test token starts a drill: %d", code)
	}
	code, p, _ := a.api("POST", "/api/v1/drills", drills, `{"scenario":"sunny","payouts":3}`)
	if fields, _ := p["fields"].(map[string]any); code != http.StatusUnprocessableEntity || fields["scenario"] == nil {
		t.Fatalf("unknown scenario: %d %v", code, p)
	}
	for body, field := range map[string]string{`{"scenario":1,"payouts":3}`: "scenario", `{"scenario":"happy","size":3}`: "size"} {
		code, p, _ = a.api("POST", "/api/v1/drills", drills, body)
		fields, _ := p["fields"].(map[string]any)
		if msg, _ := fields[field].(string); code != http.StatusUnprocessableEntity || msg == "" || strings.Contains(msg, "Go") {
			t.Fatalf("%s: %d %v, want 422 naming %s in the API's words", body, code, p, field)
		}
	}
	code, p, _ = a.api("POST", "/api/v1/drills", drills, `{"scenario":"happy","payouts":3,"market":"Philippines"}`)
	if fields, _ := p["fields"].(map[string]any); code != http.StatusUnprocessableEntity || fields["market"] == nil {
		t.Fatalf("bad market: %d %v", code, p)
	}
	code, p, h := a.api("POST", "/api/v1/drills", drills, `{"scenario":"happy","payouts":3,"wait":"1m","market":"PH"}`)
	if code != http.StatusAccepted || h.Get("Location") == "" || p["market"] != "PH" {
		t.Fatalf("start: %d %v", code, p)
	}
	if code, p, _ := a.api("POST", "/api/v1/drills", drills, `{"scenario":"happy","payouts":3}`); code != http.StatusConflict {
		t.Fatalf("a second drill at once: %d %v", code, p)
	}
	deadline := time.Now().Add(time.Minute)
	for p["state"] == "running" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		_, p, _ = a.api("GET", h.Get("Location"), drills, "")
	}
	report, _ := p["report"].(map[string]any)
	if p["state"] != "passed" || report == nil || report["NotConverged"] != 0.0 {
		t.Fatalf("drill: %v", p)
	}
	if code, _, _ := a.api("GET", "/api/v1/drills/999", drills, ""); code != http.StatusNotFound {
		t.Fatalf("no such drill: %d", code)
	}
}

// A test token's references are a space of their own: what a test token
// sends under a reference neither takes it from the live payouts nor tells
// the test token whether a live payout has it.
func TestAPITestAndLiveReferencesAreTwoSpaces(t *testing.T) {
	a := newApp(t, withLiveProvider())
	live := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	test := a.token(store.TokenSpec{Name: "try", Scope: payout.ScopeTest})
	small := func(m map[string]any) { m["amount"] = "10.00" }
	if code, p, h := a.api("POST", "/api/v1/payouts", test, apiBody("ORD-77", small)); code != http.StatusAccepted || h.Get("Idempotent-Replayed") != "" {
		t.Fatalf("test token: %d %v", code, p)
	}
	code, p, h := a.api("POST", "/api/v1/payouts", live, apiBody("ORD-77", withProvider("nxtbanking")))
	if code != http.StatusAccepted || h.Get("Idempotent-Replayed") != "" || p["amount"] != "1250.00" {
		t.Fatalf("live token under the test payout's reference: %d %v %v, want a new live payout", code, p, h)
	}
	// A test token learns nothing of a live reference: a new one is
	// answered as new, whatever the live space holds.
	if code, p, h := a.api("POST", "/api/v1/payouts", test, apiBody("ORD-77", small)); code != http.StatusAccepted || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the test request again: %d %v %v, want replayed", code, p, h)
	}
	if code, p, _ := a.api("POST", "/api/v1/payouts", test, apiBody("ORD-78", small)); code != http.StatusAccepted {
		t.Errorf("test token, a fresh reference: %d %v", code, p)
	}
	if code, p, _ := a.api("POST", "/api/v1/payouts", live, apiBody("ORD-78", withProvider("nxtbanking"))); code != http.StatusAccepted {
		t.Errorf("live token after the test token took the reference: %d %v", code, p)
	}
	for _, tt := range []struct {
		token, provider, amount string
	}{{live, "nxtbanking", "1250.00"}, {test, "sandbox", "10.00"}} {
		code, p, _ := a.api("GET", "/api/v1/payouts/ORD-77", tt.token, "")
		if code != http.StatusOK || p["provider"] != tt.provider || p["amount"] != tt.amount {
			t.Errorf("GET with the %s token: %d %v", tt.provider, code, p)
		}
	}
	if n := a.payoutCount(); n != 4 {
		t.Errorf("%d payouts, want 4 (two references, each in two modes)", n)
	}
}
