package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

const seed = 42

func start(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{Seed: seed, APIKey: "k", APISecret: "s"})
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/auth/token" {
			tokens.Add(1)
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &tokens
}

// idWithFate finds a sandbox payout id whose fate under seed is f.
func idWithFate(t *testing.T, f sandbox.Fate) string {
	t.Helper()
	for i := range 1000 {
		id := sandbox.PayoutIDFor("REF-" + string(rune('A'+i%26)) + strings.Repeat("x", i/26))
		if sandbox.FateOf(seed, id) == f {
			return id
		}
	}
	t.Fatalf("no id with fate %s", f)
	return ""
}

func TestStatusFollowsFate(t *testing.T) {
	srv, tokens := start(t)
	c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: "s"})
	tests := []struct {
		fate   sandbox.Fate
		status payout.Status
		raw    string
	}{
		{sandbox.Success, payout.Succeeded, "SUCCESS"},
		{sandbox.Failure, payout.Failed, "FAILED"},
		{sandbox.Stuck, payout.Processing, "PROCESSING"},
		{sandbox.Reversal, payout.Reversed, "REVERSED"},
	}
	for _, tt := range tests {
		id := idWithFate(t, tt.fate)
		obs, err := c.Status(context.Background(), adapters.Payout{ProviderPayoutID: id})
		if err != nil {
			t.Fatalf("%s: %v", tt.fate, err)
		}
		if obs.Status != tt.status || obs.RawStatus != tt.raw || obs.ProviderPayoutID != id {
			t.Errorf("%s: got %+v", tt.fate, obs)
		}
		if tt.fate == sandbox.Success && len(obs.UTR) != 12 {
			t.Errorf("success without a UTR: %+v", obs)
		}
		if tt.fate == sandbox.Failure && obs.FailureCode == "" {
			t.Errorf("failure without a code: %+v", obs)
		}
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("%d token exchanges for %d calls, want 1 (cached)", n, len(tests))
	}
}

func TestClientErrors(t *testing.T) {
	srv, _ := start(t)
	ctx := context.Background()
	bad := nxtbanking.NewClient(nxtbanking.Config{BaseURL: srv.URL, APIKey: "k", APISecret: "wrong"})
	_, err := bad.Status(ctx, adapters.Payout{ProviderPayoutID: "sbx_1"})
	if adapters.KindOf(err) != adapters.Credentials {
		t.Errorf("wrong secret: %v, want credentials error", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error repeats the secret: %v", err)
	}
	good := nxtbanking.NewClient(nxtbanking.Config{BaseURL: srv.URL, APIKey: "k", APISecret: "s"})
	if _, err := good.Status(ctx, adapters.Payout{ProviderPayoutID: "pay_unknown"}); adapters.KindOf(err) != adapters.NotFound {
		t.Errorf("unknown payout: %v, want not found", err)
	}
	if _, err := good.Status(ctx, adapters.Payout{ReferenceID: "never-sent"}); adapters.KindOf(err) != adapters.NotFound {
		t.Errorf("unsent payout: %v, want not found (looked up by reference)", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	c := nxtbanking.NewClient(nxtbanking.Config{BaseURL: down.URL})
	c.Caller().BaseDelay = time.Millisecond
	if _, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: "x"}); adapters.KindOf(err) != adapters.Transient {
		t.Errorf("503: %v, want transient", err)
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"event":"payout.completed","payout_id":"pay_xyz789","reference_id":"ORDER_12345","status":"SUCCESS","utr":"1234567890","amount":50000,"timestamp":"2026-02-26T10:30:00Z"}`)
	sig := nxtbanking.Sign([]byte("whsec"), body)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Errorf("signature %q is not lowercase hex SHA-256", sig)
	}
	if !nxtbanking.Verify([]byte("whsec"), body, sig) {
		t.Error("own signature refused")
	}
	if nxtbanking.Verify([]byte("other"), body, sig) || nxtbanking.Verify([]byte("whsec"), append(body, ' '), sig) {
		t.Error("wrong secret or tampered body accepted")
	}
}

func TestCreateIdempotentAndWebhook(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	sb := sandbox.New(sandbox.Config{Seed: seed, APIKey: "k", APISecret: "s", WebhookURL: hook.URL, WebhookSecret: "whsec"})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	tok := token(t, srv.URL)
	ref := ""
	for i := 0; ref == ""; i++ {
		r := fmt.Sprintf("ORDER_%d", i)
		if sandbox.FateOf(seed, sandbox.PayoutIDFor(r)) == sandbox.Success {
			ref = r
		}
	}
	body := `{"beneficiary_id":"ben_abc123","amount":50000,"mode":"IMPS","reference_id":"` + ref + `","narration":"Vendor payment"}`
	code, res := call(t, "POST", srv.URL+"/api/v1/payouts", tok, body)
	if code != 200 || res["payout_id"] != sandbox.PayoutIDFor(ref) {
		t.Fatalf("create: %d %v", code, res)
	}
	if code, res := call(t, "POST", srv.URL+"/api/v1/payouts", tok, body); code != 409 || res["payout_id"] != sandbox.PayoutIDFor(ref) {
		t.Errorf("duplicate reference_id: %d %v, want 409 naming the existing payout", code, res)
	}
	if code, res := call(t, "GET", srv.URL+"/api/v1/payouts?reference_id="+ref, tok, ""); code != 200 || res["reference_id"] != ref {
		t.Errorf("lookup by reference: %d %v", code, res)
	}
	if code, _ := call(t, "POST", srv.URL+"/api/v1/payouts", "bogus", body); code != 401 {
		t.Errorf("bad token: %d", code)
	}
	sb.Wait()
	select {
	case r := <-got:
		b := <-bodies
		if !nxtbanking.Verify([]byte("whsec"), b, r.Header.Get("X-NxtB-Signature")) {
			t.Errorf("webhook signature does not verify")
		}
		var ev map[string]any
		json.Unmarshal(b, &ev)
		if ev["event"] != "payout.success" || ev["status"] != "SUCCESS" || ev["reference_id"] != ref {
			t.Errorf("webhook %s", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook")
	}
}

func token(t *testing.T, base string) string {
	t.Helper()
	code, res := call(t, "POST", base+"/api/v1/auth/token", "", `{"api_key":"k","api_secret":"s"}`)
	if code != 200 || res["expires_in"] == nil {
		t.Fatalf("token: %d %v", code, res)
	}
	return res["access_token"].(string)
}

func call(t *testing.T, method, url, tok, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRateLimit(t *testing.T) {
	sb := sandbox.New(sandbox.Config{Seed: seed, APIKey: "k", APISecret: "s", RateLimit: 5})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	// Five a second holds one request: the first is answered, the one right
	// after it refused with a time to come back.
	codes := []int{}
	var retryAfter string
	for range 2 {
		resp, err := http.Get(srv.URL + "/v1/payouts/sbx_1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		retryAfter = resp.Header.Get("Retry-After")
	}
	if codes[0] != http.StatusUnauthorized || codes[1] != http.StatusTooManyRequests || retryAfter != "1" {
		t.Errorf("answers %v, Retry-After %q; want 401 then 429 with Retry-After 1", codes, retryAfter)
	}
	// The NxtBanking client waits as told and gets its answer.
	c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: "s"})
	obs, err := c.Status(context.Background(), adapters.Payout{ProviderPayoutID: idWithFate(t, sandbox.Success)})
	if err != nil || obs.Status != payout.Succeeded {
		t.Errorf("status through the limit: %+v %v", obs, err)
	}
	if n := sb.Counts().RateLimited; n < 1 {
		t.Errorf("%d requests counted as rate-limited, want at least 1", n)
	}
}

// A payout re-checked at a sandbox that was never sent it (created straight
// into payops) states no amount, so payops compares none; one it was sent
// states its amount back in its own currency.
func TestStatedAmount(t *testing.T) {
	srv, _ := start(t)
	ctx := context.Background()
	c := nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL, APIKey: "k", APISecret: "s"})
	obs, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: "sbx_0000000000000001"})
	if err != nil || obs.Amount != nil {
		t.Errorf("unknown payout: amount %v, %v; want none stated", obs.Amount, err)
	}
	for _, m := range []payout.Money{{Minor: 125050, Currency: "INR"}, {Minor: 50000, Currency: "IDR"}} {
		p := adapters.Payout{ReferenceID: "AMT-" + m.Currency, Amount: m, Mode: "IMPS",
			Beneficiary: adapters.Beneficiary{Name: "Asha", AccountNumber: "123456789012", IFSC: "HDFC0001234"}}
		obs, err := c.Submit(ctx, p)
		if err != nil || obs.Amount == nil || *obs.Amount != m {
			t.Errorf("%s: the sandbox states %v, %v; want %v", m.Currency, obs.Amount, err, m)
		}
	}
}
