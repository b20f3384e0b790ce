package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

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
	if _, err := good.Status(ctx, adapters.Payout{}); adapters.KindOf(err) != adapters.Request {
		t.Errorf("unsent payout: %v, want request error", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	c := nxtbanking.NewClient(nxtbanking.Config{BaseURL: down.URL})
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
