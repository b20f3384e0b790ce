package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/payout"
	"payops/store"
)

const apiToken = "pot_test-token-for-the-api-tests-0123456789"

// apiBody is a valid payout request for ref; edit changes it first.
func apiBody(ref string, edit func(m map[string]any)) string {
	m := map[string]any{
		"reference_id": ref, "provider": "sandbox", "amount": "1250.00", "currency": "INR", "mode": "IMPS",
		"narration": "Seller payout", "market": "IN",
		"beneficiary": map[string]any{"name": "Asha Rao", "account_number": "123456789012", "ifsc": "HDFC0001234",
			"bank_name": "HDFC Bank", "tax_artifact": "present"},
		"metadata": map[string]any{"seller": "S-9"},
	}
	if edit != nil {
		edit(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func ben(m map[string]any) map[string]any { return m["beneficiary"].(map[string]any) }

// api calls the platform API with token ("" for none) and decodes the
// answer.
func (a *app) api(method, path, token, body string) (int, map[string]any, http.Header) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		a.t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}

func (a *app) withToken() {
	a.t.Helper()
	if _, err := a.store.CreateToken(context.Background(), store.TokenSpec{Name: "shop", Scope: payout.ScopeTest}, apiToken); err != nil {
		a.t.Fatal(err)
	}
}

func (a *app) payoutCount() int {
	a.t.Helper()
	var n int
	if err := a.store.DB().Get(&n, `SELECT count(*) FROM payouts`); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func TestAPICreatesAPayoutOnceAndReplaysIt(t *testing.T) {
	a := newApp(t)
	a.withToken()
	code, p, h := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-1", nil))
	if code != http.StatusAccepted || p["status"] != "QUEUED" || p["reference_id"] != "ORD-1" || len(p["holds"].([]any)) != 0 {
		t.Fatalf("create: %d %v", code, p)
	}
	if h.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first request marked as replayed")
	}
	if p["amount"] != "1250.00" || p["currency"] != "INR" || p["provider_payout_id"] != nil {
		t.Fatalf("payout = %v", p)
	}
	// The same body again, fields in another order and spacing: the same payout.
	code, again, h := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-1", func(m map[string]any) { m["amount"] = "1250" }))
	if code != http.StatusAccepted || again["reference_id"] != "ORD-1" || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", code, again)
	}
	if n := a.payoutCount(); n != 1 {
		t.Fatalf("%d payouts after a replay, want 1", n)
	}
	if n := a.createsOf("ORD-1"); n != 0 {
		t.Fatalf("the API called the provider %d times; only the worker may", n)
	}

	// The worker sends it; the status endpoint shows what the provider said.
	if n := a.submit(); n != 1 {
		t.Fatalf("worker sent %d payouts, want 1", n)
	}
	code, got, _ := a.api("GET", "/api/v1/payouts/ORD-1", apiToken, "")
	if code != http.StatusOK || got["provider_payout_id"] == nil || got["status"] == "QUEUED" {
		t.Fatalf("status after submit: %d %v", code, got)
	}
	if _, err := a.store.ApplyObservation(context.Background(), "ORD-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		Status: payout.Succeeded, UTR: "UTR123", Fee: &payout.Money{Minor: 500, Currency: "INR"}}); err != nil {
		t.Fatal(err)
	}
	_, got, _ = a.api("GET", "/api/v1/payouts/ORD-1", apiToken, "")
	if got["status"] != "SUCCEEDED" || got["utr"] != "UTR123" || got["fee"] != "5.00" || len(got["ledger"].([]any)) != 4 {
		t.Fatalf("status after success: %v", got)
	}
	if strings.Contains(mustJSON(got), "123456789012") {
		t.Fatal("the status answer carries the account number")
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// A payout is sent as JSON, declared: a form's type, another type or none at
// all is 415 and records nothing; application/json with a charset is fine.
func TestAPIRefusesABodyNotDeclaredJSON(t *testing.T) {
	a := newApp(t)
	a.withToken()
	post := func(ref, ct string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", a.srv.URL+"/api/v1/payouts", strings.NewReader(apiBody(ref, nil)))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, ct := range []string{"", "application/x-www-form-urlencoded", "text/plain"} {
		if code, body := post("CT-1", ct); code != http.StatusUnsupportedMediaType || !strings.Contains(body, "unsupported_media_type") {
			t.Errorf("Content-Type %q: %d %s, want 415", ct, code, body)
		}
	}
	if _, err := a.store.PayoutByRef(context.Background(), "CT-1", store.First(true)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused body recorded a payout: %v", err)
	}
	if code, body := post("CT-2", "application/json; charset=utf-8"); code != http.StatusAccepted {
		t.Errorf("application/json with a charset: %d %s, want 202", code, body)
	}
}

// switched is a provider payops has only while on is set: one switched off
// after payouts were sent to it (its credentials removed).
type switched struct {
	adapters.Provider
	on atomic.Bool
}

func (s *switched) Enabled() bool { return s.on.Load() }

// A request repeated after its provider was switched off is compared with
// the one recorded — the same is 202 replayed, another 409 — not refused
// as new with a 422 that says nothing was recorded (a platform believing
// it would send the payout again under another reference). A new payout to
// that provider is still 422.
func TestAPIReplaysARequestWhoseProviderIsOffNow(t *testing.T) {
	sw := &switched{}
	a := newApp(t, withLiveProvider(), withRegistry(func(r adapters.Registry) {
		sw.Provider = r["nxtbanking"]
		sw.on.Store(true)
		r["nxtbanking"] = sw
	}))
	live := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	body := apiBody("OFF-1", withProvider("nxtbanking"))
	if code, p, _ := a.api("POST", "/api/v1/payouts", live, body); code != http.StatusAccepted {
		t.Fatalf("create: %d %v", code, p)
	}
	sw.on.Store(false)
	code, p, h := a.api("POST", "/api/v1/payouts", live, body)
	if code != http.StatusAccepted || h.Get("Idempotent-Replayed") != "true" || p["reference_id"] != "OFF-1" {
		t.Errorf("the same request with its provider off: %d %v, want 202 replayed", code, p)
	}
	other := apiBody("OFF-1", func(m map[string]any) { withProvider("nxtbanking")(m); m["amount"] = "99.00" })
	if code, p, _ := a.api("POST", "/api/v1/payouts", live, other); code != http.StatusConflict || p["field"] != "amount" {
		t.Errorf("another request under the reference, its provider off: %d %v, want 409 naming amount", code, p)
	}
	if code, p, _ := a.api("POST", "/api/v1/payouts", live, apiBody("OFF-2", withProvider("nxtbanking"))); code != http.StatusUnprocessableEntity {
		t.Errorf("a new payout to the provider that is off: %d %v, want 422", code, p)
	}
}

func TestAPIRefusesAReusedReferenceWithADifferentBody(t *testing.T) {
	a := newApp(t)
	a.withToken()
	if code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-2", nil)); code != http.StatusAccepted {
		t.Fatalf("create: %d %v", code, p)
	}
	cases := map[string]func(m map[string]any){
		"amount":                     func(m map[string]any) { m["amount"] = "1300.00" },
		"beneficiary.account_number": func(m map[string]any) { ben(m)["account_number"] = "999999999999" },
		"metadata":                   func(m map[string]any) { m["metadata"] = map[string]any{"seller": "S-10"} },
	}
	for field, edit := range cases {
		code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-2", edit))
		msg, _ := p["message"].(string)
		if code != http.StatusConflict || p["field"] != field || !strings.Contains(msg, "different "+field) {
			t.Errorf("%s: %d %v", field, code, p)
		}
		if strings.Contains(msg, "999999999999") {
			t.Errorf("the conflict message shows an account number: %s", msg)
		}
	}
	_, p, _ := a.api("GET", "/api/v1/payouts/ORD-2", apiToken, "")
	if p["amount"] != "1250.00" || a.payoutCount() != 1 {
		t.Fatalf("a refused request changed the payout: %v", p)
	}
	// A payout that did not come through the API cannot be claimed by it
	// (a test payout: the test token's space).
	a.addPayout("DEMO-1", payout.Processing, 0)
	a.store.DB().MustExec(`UPDATE payouts SET livemode = false WHERE reference_id = 'DEMO-1'`)
	code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("DEMO-1", nil))
	if code != http.StatusConflict || p["field"] != "reference_id" {
		t.Fatalf("reuse of a non-API reference: %d %v", code, p)
	}
}

func TestAPIValidatesEachField(t *testing.T) {
	a := newApp(t)
	a.withToken()
	cases := []struct {
		name, field, want string
		edit              func(m map[string]any)
	}{
		{"unknown currency", "currency", `unknown currency "XYZ"`, func(m map[string]any) { m["currency"] = "XYZ" }},
		{"too many decimals", "amount", "more decimals than INR has (2)", func(m map[string]any) { m["amount"] = "12.345" }},
		{"zero", "amount", "must be greater than zero", func(m map[string]any) { m["amount"] = "0" }},
		{"negative", "amount", "must be greater than zero", func(m map[string]any) { m["amount"] = "-10.00" }},
		{"amount as a number", "amount", "not a JSON number", func(m map[string]any) { m["amount"] = 1250.5 }},
		{"unknown provider", "provider", `unknown provider "paypal"`, func(m map[string]any) { m["provider"] = "paypal" }},
		{"missing account", "beneficiary.account_number", "is required", func(m map[string]any) { delete(ben(m), "account_number") }},
		{"missing tax artifact state", "beneficiary.tax_artifact", "is required", func(m map[string]any) { delete(ben(m), "tax_artifact") }},
		{"wrong type", "reference_id", "must be a JSON string", func(m map[string]any) { m["reference_id"] = 7 }},
		{"unknown field", "amount_minor", "is not a field", func(m map[string]any) { m["amount_minor"] = 125000 }},
		{"unknown field of the beneficiary, named in full", "beneficiary.provider", "is not a field",
			func(m map[string]any) { ben(m)["provider"] = "x" }},
		{"no such country", "market", `"ZZ" is not an ISO 3166 country code`, func(m map[string]any) { m["market"] = "ZZ" }},
		{"a name that reads backwards", "beneficiary.name", "invisible formatting character (U+202E)",
			func(m map[string]any) { ben(m)["name"] = "Asha \u202eoaR" }},
		{"a zero-width space in a name", "beneficiary.name", "invisible formatting character (U+200B)",
			func(m map[string]any) { ben(m)["name"] = "Asha\u200bRao" }},
		{"metadata nested too deep", "metadata", "nested deeper than 16 levels", func(m map[string]any) {
			var deep any = "bottom"
			for range 17 {
				deep = []any{deep}
			}
			m["metadata"] = map[string]any{"a": deep}
		}},
		{"a long bad value, echoed cut", "mode", `unknown mode "` + strings.Repeat("m", 40) + `…"`,
			func(m map[string]any) { m["mode"] = strings.Repeat("m", 60000) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-V", c.edit))
			fields, _ := p["fields"].(map[string]any)
			msg, _ := fields[c.field].(string)
			if code != http.StatusUnprocessableEntity || !strings.Contains(msg, c.want) || len(fields) != 1 || len(msg) > 300 {
				t.Fatalf("%d %.500v, want 422 with %s: %q", code, p, c.field, c.want)
			}
		})
	}
	// Metadata as deep as allowed, and a joiner Malayalam needs, are taken.
	if code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-DEEP", func(m map[string]any) {
		var deep any = "bottom"
		for range 15 {
			deep = []any{deep}
		}
		m["metadata"] = map[string]any{"a": deep}
		ben(m)["name"] = "\u0d15\u0d4d\u200d"
	})); code != http.StatusAccepted {
		t.Fatalf("metadata 16 deep and a Malayalam name: %d %v", code, p)
	}
	// A payout recorded before the newer rules (here, a name with a
	// zero-width space, and a market off the ISO list) is answered when
	// repeated, not refused: a 422 would invite it again under another
	// reference.
	old := func(m map[string]any) { ben(m)["name"], m["market"] = "Asha\u200bRao", "XX" }
	if code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-OLD", nil)); code != http.StatusAccepted {
		t.Fatalf("ORD-OLD: %d %v", code, p)
	}
	a.store.DB().MustExec(`UPDATE beneficiaries SET name = 'Asha' || chr(8203) || 'Rao'
		WHERE id = (SELECT beneficiary_id FROM payouts WHERE reference_id = 'ORD-OLD')`)
	a.store.DB().MustExec(`UPDATE payouts SET market = 'XX', intake = jsonb_set(jsonb_set(intake, '{market}', '"XX"'),
		'{beneficiary,name}', to_jsonb('Asha' || chr(8203) || 'Rao')) WHERE reference_id = 'ORD-OLD'`)
	if code, p, h := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-OLD", old)); code != http.StatusAccepted ||
		h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a repeat of a payout recorded under older rules: %d %v", code, p)
	}
	code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, `{"reference_id": "ORD-V",`)
	if code != http.StatusBadRequest || p["error"] != "bad_request" {
		t.Fatalf("broken JSON: %d %v", code, p)
	}
	if n := a.payoutCount(); n != 2 {
		t.Fatalf("%d payouts recorded from bad requests, ORD-DEEP and ORD-OLD", n)
	}
}

func TestAPIRefusesMissingUnknownAndRevokedTokens(t *testing.T) {
	a := newApp(t)
	a.withToken()
	for name, token := range map[string]string{"missing": "", "unknown": "pot_not-a-token"} {
		code, p, h := a.api("POST", "/api/v1/payouts", token, apiBody("ORD-A", nil))
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s token: %d %v", name, code, p)
		}
	}
	if _, err := a.store.RevokeToken(context.Background(), "shop", ""); err != nil {
		t.Fatal(err)
	}
	code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-A", nil))
	if code != http.StatusUnauthorized || !strings.Contains(p["message"].(string), "revoked") {
		t.Fatalf("revoked token: %d %v", code, p)
	}
	if code, _, _ := a.api("GET", "/api/v1/payouts/ORD-A", apiToken, ""); code != http.StatusUnauthorized {
		t.Fatalf("revoked token reads: %d", code)
	}
	if n := a.payoutCount(); n != 0 {
		t.Fatalf("%d payouts recorded without a valid token", n)
	}
}

func TestAPIHoldsAPayoutThatFailsGates(t *testing.T) {
	a := newApp(t)
	a.withToken()
	code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody("ORD-H", func(m map[string]any) {
		m["amount"] = "250000.00"
		ben(m)["tax_artifact"] = "expired"
	}))
	if code != http.StatusAccepted || p["status"] != "HELD" {
		t.Fatalf("%d %v", code, p)
	}
	var reasons []string
	for _, h := range p["holds"].([]any) {
		hold := h.(map[string]any)
		if hold["state"] != "open" || hold["detail"] == "" {
			t.Errorf("hold = %v", hold)
		}
		reasons = append(reasons, hold["reason"].(string))
	}
	if strings.Join(reasons, ",") != "tax_artifact,review_threshold" {
		t.Fatalf("holds %v, want one per failed gate", reasons)
	}
	var evals []struct {
		Gate   string `db:"gate"`
		Passed bool   `db:"passed"`
		Rule   string `db:"rule"`
	}
	if err := a.store.DB().Select(&evals, `SELECT gate, passed, rule FROM gate_evaluations ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(evals) != 5 {
		t.Fatalf("%d evaluations recorded, want one per gate", len(evals))
	}
	// A held payout is not sent.
	a.submit()
	if n := a.createsOf("ORD-H"); n != 0 {
		t.Fatalf("a held payout was sent %d times", n)
	}
	if code, p, _ := a.api("GET", "/api/v1/payouts/NOPE", apiToken, ""); code != http.StatusNotFound || p["error"] != "not_found" {
		t.Fatalf("unknown payout: %d %v", code, p)
	}
}

// With the database gone, the API answers 503 and records nothing; the
// platform's retry with the same body, once it is back, records the payout
// once.
func TestAPIDuringADatabaseOutage(t *testing.T) {
	var px *proxy
	a := newApp(t, throughProxy(t, &px))
	a.withToken()
	px.setDown(true)
	code, p, h := a.api("POST", "/api/v1/payouts", apiToken, apiBody("OUT-1", nil))
	if code != http.StatusServiceUnavailable || p["error"] != "unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("during the outage: %d %v", code, p)
	}
	px.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, p, _ = a.api("POST", "/api/v1/payouts", apiToken, apiBody("OUT-1", nil))
		if code == http.StatusAccepted || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != http.StatusAccepted || p["status"] != "QUEUED" || a.payoutCount() != 1 {
		t.Fatalf("after the outage: %d %v, %d payouts", code, p, a.payoutCount())
	}
}

// An address under /api/ that names no route is answered in JSON, as the
// rest of the API: 405 with Allow for another method on a route's path,
// 404 otherwise; the bearer scheme's name is read in any case.
func TestAPIUnknownRoutesAndTheSchemesCase(t *testing.T) {
	a := newApp(t)
	a.withToken()
	code, p, h := a.api("DELETE", "/api/v1/payouts/ORD-A", apiToken, "")
	if code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET" || p["error"] != "method_not_allowed" {
		t.Errorf("DELETE a payout: %d %v Allow %q", code, p, h.Get("Allow"))
	}
	code, _, h = a.api("PUT", "/api/v1/payouts", apiToken, "")
	if code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET, POST" {
		t.Errorf("PUT the payouts: %d, Allow %q", code, h.Get("Allow"))
	}
	code, p, _ = a.api("GET", "/api/v1/payout", apiToken, "")
	if code != http.StatusNotFound || p["error"] != "not_found" {
		t.Errorf("GET a misspelt route: %d %v", code, p)
	}
	req, _ := http.NewRequest("GET", a.srv.URL+"/api/v1/payouts", nil)
	req.Header.Set("Authorization", "bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a lower-case bearer: %d", resp.StatusCode)
	}
}
