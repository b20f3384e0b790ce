package xendit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/xendit"
	"payops/payout"
)

// fake follows Xendit's Payouts v2 API: basic auth with the secret key and
// an empty password, a required Idempotency-key (reused: 409
// DUPLICATE_ERROR), GET by id and by reference_id (a bare array).
type fake struct {
	mu      sync.Mutex
	byKey   map[string]map[string]any
	calls   atomic.Int32
	fail5xx atomic.Int32
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fail := func(code int, ec, msg string) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error_code": ec, "message": msg})
	}
	if u, p, ok := r.BasicAuth(); !ok || u != "xnd_secret" || p != "" {
		fail(401, "INVALID_API_KEY", "API key is invalid")
		return
	}
	if f.fail5xx.Load() > 0 {
		f.fail5xx.Add(-1)
		fail(500, "SERVER_ERROR", "try again")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "POST" && r.URL.Path == "/v2/payouts":
		key := r.Header.Get("Idempotency-key")
		if key == "" {
			fail(400, "API_VALIDATION_ERROR", "Idempotency-key is required")
			return
		}
		if _, ok := f.byKey[key]; ok {
			fail(409, "DUPLICATE_ERROR", "A payout with this idempotency key already exists.")
			return
		}
		var req map[string]any
		d := json.NewDecoder(r.Body)
		d.UseNumber()
		d.Decode(&req)
		if req["channel_code"] != "ID_BCA" || req["amount"] != json.Number("25000") || req["currency"] != "IDR" {
			fail(400, "API_VALIDATION_ERROR", fmt.Sprintf("bad request %v", req))
			return
		}
		p := map[string]any{"id": fmt.Sprintf("disb-%024d", len(f.byKey)+1), "amount": 25000, "channel_code": "ID_BCA",
			"currency": "IDR", "status": "ACCEPTED", "reference_id": req["reference_id"], "created": "2026-11-20T10:00:00Z",
			"updated": "2026-11-20T10:00:00Z", "business_id": "5f27a14a9bf05c73dd040bc8"}
		f.byKey[key] = p
		json.NewEncoder(w).Encode(p)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v2/payouts/"):
		for _, p := range f.byKey {
			if p["id"] == strings.TrimPrefix(r.URL.Path, "/v2/payouts/") {
				json.NewEncoder(w).Encode(p)
				return
			}
		}
		fail(404, "DATA_NOT_FOUND", "not found")
	case r.Method == "GET" && r.URL.Path == "/v2/payouts":
		list := []map[string]any{}
		for _, p := range f.byKey {
			if p["reference_id"] == r.URL.Query().Get("reference_id") {
				list = append(list, p)
			}
		}
		json.NewEncoder(w).Encode(list)
	default:
		w.WriteHeader(404)
	}
}

func client(url string) *xendit.Client {
	c := xendit.NewClient(xendit.Config{BaseURL: url, SecretKey: "xnd_secret", CallbackToken: "cb-token-123"})
	c.Caller().BaseDelay = time.Millisecond
	return c
}

var sample = adapters.Payout{ReferenceID: "myref-1482928194", Amount: payout.Money{Minor: 25000, Currency: "IDR"},
	Narration: "July payout", Beneficiary: adapters.Beneficiary{Name: "Michael Chen", AccountNumber: "000000000099", BankCode: "BCA"}}

func TestSubmitStatus(t *testing.T) {
	ctx := context.Background()
	f := &fake{byKey: map[string]map[string]any{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := client(srv.URL)
	f.fail5xx.Store(1)
	obs, err := c.Submit(ctx, sample)
	if err != nil || obs.Status != payout.Queued || obs.RawStatus != "ACCEPTED" || !strings.HasPrefix(obs.ProviderPayoutID, "disb-") {
		t.Fatalf("submit: %+v %v", obs, err)
	}
	again, err := c.Submit(ctx, sample) // 409 DUPLICATE_ERROR: looked up by reference
	if err != nil || again.ProviderPayoutID != obs.ProviderPayoutID {
		t.Errorf("duplicate submit: %+v %v", again, err)
	}
	f.byKey[sample.ReferenceID]["status"] = "FAILED"
	f.byKey[sample.ReferenceID]["failure_code"] = "INVALID_DESTINATION"
	st, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: obs.ProviderPayoutID})
	if err != nil || st.Status != payout.Failed || st.FailureCode != "INVALID_DESTINATION" || st.FailureReason == "" {
		t.Errorf("status: %+v %v", st, err)
	}
	if _, err := c.List(ctx, time.Now(), time.Now()); err != adapters.ErrListUnsupported {
		t.Errorf("list: %v", err)
	}
	bad := xendit.NewClient(xendit.Config{BaseURL: srv.URL, SecretKey: "wrong"})
	before := f.calls.Load()
	if _, err := bad.Status(ctx, adapters.Payout{ProviderPayoutID: "x"}); adapters.KindOf(err) != adapters.Credentials || f.calls.Load()-before != 1 {
		t.Errorf("401: %v, %d calls", err, f.calls.Load()-before)
	}
}

// sampleSucceeded is seed 002's payout webhook.
const sampleSucceeded = `{
  "event": "payout.succeeded",
  "business_id": "5f27a14a9bf05c73dd040bc8",
  "created": "2025-01-01T23:55:59Z",
  "data": {
    "id": "disb-571f3644d2b4edf0745e9703",
    "amount": 10000,
    "channel_code": "ID_BCA",
    "currency": "IDR",
    "status": "SUCCEEDED",
    "description": "July payout",
    "reference_id": "myref-1482928194",
    "created": "2024-12-31T23:53:59Z",
    "updated": "2024-12-31T23:53:59Z",
    "estimated_arrival_time": "2024-12-31T23:59:59Z",
    "business_id": "6018306aa16ad90cb3c43ba7",
    "channel_properties": {
      "account_number": "000000000099",
      "account_holder_name": "Michael Chen"
    }
  }
}`

func TestWebhook(t *testing.T) {
	c := client("http://unused")
	h := http.Header{"X-Callback-Token": {"cb-token-123"}}
	ev, err := c.Webhook(h, []byte(sampleSucceeded))
	if err != nil || ev.Observation.Status != payout.Succeeded || ev.ReferenceID != "myref-1482928194" ||
		ev.Observation.ProviderPayoutID != "disb-571f3644d2b4edf0745e9703" || ev.Type != "payout.succeeded" {
		t.Fatalf("event %+v %v", ev, err)
	}
	failed := strings.Replace(strings.Replace(sampleSucceeded, `"SUCCEEDED"`, `"FAILED", "failure_code": "INSUFFICIENT_BALANCE"`, 1), "payout.succeeded", "payout.failed", 1)
	if ev, err := c.Webhook(h, []byte(failed)); err != nil || ev.Observation.Status != payout.Failed || ev.Observation.FailureCode != "INSUFFICIENT_BALANCE" {
		t.Errorf("failed event %+v %v", ev, err)
	}
	for name, hdr := range map[string]http.Header{
		"wrong token":   {"X-Callback-Token": {"cb-token-124"}},
		"padded token":  {"X-Callback-Token": {"cb-token-123 "}},
		"missing token": {},
	} {
		if _, err := c.Webhook(hdr, []byte(sampleSucceeded)); err != adapters.ErrSignature {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[string]payout.Status{"ACCEPTED": payout.Queued, "REQUESTED": payout.Processing, "SUCCEEDED": payout.Succeeded,
		"FAILED": payout.Failed, "CANCELLED": payout.Cancelled, "REVERSED": payout.Reversed, "succeeded": payout.Succeeded}
	for in, want := range tests {
		if got, ok := xendit.MapStatus(in); !ok || got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(sampleSucceeded))
	f.Add([]byte(`{"event":"payout.reversed","data":{"id":"disb-1","status":"REVERSED","amount":1.5}}`))
	c := client("http://unused")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := c.Webhook(http.Header{"X-Callback-Token": {"cb-token-123"}}, body)
		if err == nil && !ev.Ignore && ev.Observation.Status == "" {
			t.Errorf("accepted an event with no status: %q", body)
		}
	})
}
