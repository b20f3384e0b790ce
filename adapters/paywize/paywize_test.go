package paywize_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/paywize"
	"payops/payout"
)

const (
	apiKey    = "MshTymhj6llgEhzpJ5s0M9gI3soYz82h" // 32 bytes, Paywize's documented example shape
	secretKey = "QI8zFZWX272Z0Unb"                 // 16 bytes
)

func newClient(t testing.TB, url string) *paywize.Client {
	c, err := paywize.NewClient(paywize.Config{BaseURL: url, APIKey: apiKey, SecretKey: secretKey, WebhookSecret: "pw_whsec", WalletID: "PAYWIZE12345679"})
	if err != nil {
		t.Fatal(err)
	}
	c.Caller().BaseDelay = time.Millisecond
	return c
}

// fake follows Paywize's payout API: an encrypted token request, bearer
// auth, {"payload"} requests and {"resp_code", "data"} answers, sender_id
// refused when reused (4002), status by transaction_id or sender_id.
type fake struct {
	c        *paywize.Client
	mu       sync.Mutex
	bySender map[string]map[string]string
	calls    atomic.Int32
	fail5xx  atomic.Int32
	funds    bool
	noCode   atomic.Bool  // answer 2xx with no resp_code
	bare     atomic.Int32 // answer this HTTP status with a body of no resp_code
	// lostAnswer: the next initiate is taken, its answer a 502 (lost);
	// unlisted: the status lookup does not find it yet.
	lostAnswer, unlisted atomic.Bool
}

func (f *fake) answer(w http.ResponseWriter, code int, msg string, data any) {
	w.Header().Set("Content-Type", "application/json")
	out := map[string]any{"resp_code": code, "resp_message": msg}
	if data != nil {
		b, _ := json.Marshal(data)
		out["data"] = f.c.Encrypt(b)
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if s := f.bare.Load(); s != 0 && r.URL.Path != "/api/v1/auth/clients/token" {
		w.WriteHeader(int(s))
		w.Write([]byte(`{"message":"Unauthorized"}`))
		return
	}
	if f.fail5xx.Load() > 0 {
		f.fail5xx.Add(-1)
		w.WriteHeader(502)
		return
	}
	decode := func(v any) bool {
		var env struct{ Payload string }
		json.NewDecoder(r.Body).Decode(&env)
		plain, err := f.c.Decrypt(env.Payload)
		return err == nil && json.Unmarshal(plain, v) == nil
	}
	if r.URL.Path == "/api/v1/auth/clients/token" {
		var req map[string]string
		if !decode(&req) || req["apiKey"] != apiKey || req["secretKey"] != secretKey {
			f.answer(w, 4001, "Unauthorized access", nil)
			return
		}
		f.answer(w, 2000, "Token generated successfully", map[string]string{"token": "eyJ.jwt.sig"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer eyJ.jwt.sig" {
		f.answer(w, 4001, "Unauthorized - Invalid or expired token", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/api/payout/v1/initiate":
		if f.noCode.Load() {
			w.Write([]byte(`{}`))
			return
		}
		var req map[string]string
		if !decode(&req) {
			f.answer(w, 4014, "Decryption failed. Please check the encryption", nil)
			return
		}
		if !f.funds {
			f.answer(w, 4000, "Insufficient Balance in the wallet", nil)
			return
		}
		if _, dup := f.bySender[req["sender_id"]]; dup {
			f.answer(w, 4002, "Invalid or Duplicate Sender ID", nil)
			return
		}
		t := map[string]string{"transaction_id": fmt.Sprintf("TXN%06d", len(f.bySender)+1), "sender_id": req["sender_id"],
			"amount": req["amount"], "status": "INITIATED", "status_message": "Payment initiated"}
		f.bySender[req["sender_id"]] = t
		if f.lostAnswer.CompareAndSwap(true, false) {
			w.WriteHeader(502)
			return
		}
		f.answer(w, 2000, "Payout request created successfully", t)
	case "/api/payout/v1/status":
		q := r.URL.Query()
		if f.unlisted.Load() {
			f.answer(w, 4103, "Transaction not found", nil)
			return
		}
		for _, t := range f.bySender {
			if t["transaction_id"] == q.Get("transaction_id") || t["sender_id"] == q.Get("sender_id") {
				f.answer(w, 2000, "Transaction fetched successfully", t)
				return
			}
		}
		f.answer(w, 4103, "Transaction not found", nil)
	default:
		w.WriteHeader(404)
	}
}

var sample = adapters.Payout{ReferenceID: "PAYOUT123456", Amount: payout.Money{Minor: 10000, Currency: "INR"}, Mode: "IMPS",
	Narration: "Vendorpay", Beneficiary: adapters.Beneficiary{Name: "Jane Doe", AccountNumber: "123456789012", IFSC: "HDFC0123456"}}

func TestSubmitStatus(t *testing.T) {
	ctx := context.Background()
	f := &fake{c: newClient(t, ""), bySender: map[string]map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv.URL)
	if _, err := c.Submit(ctx, sample); adapters.KindOf(err) != adapters.InsufficientFunds {
		t.Errorf("no funds: %v", err)
	}
	f.funds = true
	f.fail5xx.Store(1)
	obs, err := c.Submit(ctx, sample)
	if err != nil || obs.ProviderPayoutID != "TXN000001" || obs.Status != payout.Queued {
		t.Fatalf("submit: %+v %v", obs, err)
	}
	again, err := c.Submit(ctx, sample) // 4002 duplicate sender_id: looked up
	if err != nil || again.ProviderPayoutID != "TXN000001" {
		t.Errorf("duplicate: %+v %v", again, err)
	}
	f.bySender["PAYOUT123456"]["status"] = "Success"
	f.bySender["PAYOUT123456"]["utr_number"] = "415612345678"
	st, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: "TXN000001"})
	if err != nil || st.Status != payout.Succeeded || st.UTR != "415612345678" {
		t.Errorf("status: %+v %v", st, err)
	}
	if _, err := c.Status(ctx, adapters.Payout{ReferenceID: "nope"}); adapters.KindOf(err) != adapters.NotFound {
		t.Errorf("unknown: %v", err)
	}
	bad, _ := paywize.NewClient(paywize.Config{BaseURL: srv.URL, APIKey: strings.Repeat("x", 32), SecretKey: secretKey})
	before := f.calls.Load()
	if _, err := bad.Status(ctx, adapters.Payout{ProviderPayoutID: "TXN000001"}); adapters.KindOf(err) != adapters.Credentials || f.calls.Load()-before != 1 {
		t.Errorf("bad credentials: %v after %d calls", err, f.calls.Load()-before)
	}
}

func TestKeyLengthsChecked(t *testing.T) {
	for _, cfg := range []paywize.Config{{APIKey: "short", SecretKey: secretKey}, {APIKey: apiKey, SecretKey: "short"}} {
		if _, err := paywize.NewClient(cfg); err == nil || !strings.Contains(err.Error(), "bytes") {
			t.Errorf("%+v: err = %v", cfg, err)
		}
	}
}

// decryptedSeed is seed 001's decrypted webhook payload.
const decryptedSeed = `{"event_type":"payout_status_change","transaction_id":"CBP123456789","merchant_ref_id":"MERCHANT_TXN_001","amount":"10000.00","currency":"INR","status":"COMPLETED","status_message":"Payout completed successfully","bank_reference":"BNK789456123","beneficiary":{"account_number":"1234567890","ifsc":"HDFC0001234","account_holder_name":"John Doe","bank_name":"HDFC Bank"},"payment_details":{"payment_mode":"OPEN_BANKING","processing_time":"30","charges":"5.00","net_amount":"9995.00"},"timestamps":{"initiated_at":"2026-01-15T10:30:00Z","completed_at":"2026-01-15T10:30:30Z","webhook_sent_at":"2026-01-15T10:30:31Z"},"metadata":{"purpose":"salary_payment"}}`

func delivery(c *paywize.Client, key, plain, secret string) (http.Header, []byte) {
	body, _ := json.Marshal(map[string]string{key: c.Encrypt([]byte(plain))})
	return http.Header{"X-Paywize-Signature": {"sha256=" + adapters.HMACHex([]byte(secret), body)},
		"X-Paywize-Event": {"payout_status_change"}, "X-Paywize-Timestamp": {"1640995200"}}, body
}

func TestWebhook(t *testing.T) {
	c := newClient(t, "")
	h, body := delivery(c, "data", decryptedSeed, "pw_whsec")
	ev, err := c.Webhook(h, body)
	if err != nil {
		t.Fatal(err)
	}
	o := ev.Observation
	if o.Status != payout.Succeeded || o.ProviderPayoutID != "CBP123456789" || ev.ReferenceID != "MERCHANT_TXN_001" ||
		o.UTR != "BNK789456123" || o.Fee == nil || o.Fee.Minor != 500 || string(ev.Payload) != decryptedSeed {
		t.Errorf("event %+v", ev)
	}
	// The payout API's shape, under "payload", status in mixed case.
	h, body = delivery(c, "payload", `{"transaction_id":"PAY123456789","sender_id":"unique_transaction_id","amount":"1000.00","status":"Refunded","utr_number":"415612345678"}`, "pw_whsec")
	if ev, err := c.Webhook(h, body); err != nil || ev.Observation.Status != payout.Reversed || ev.ReferenceID != "unique_transaction_id" {
		t.Errorf("payload shape: %+v %v", ev, err)
	}
	h, body = delivery(c, "data", decryptedSeed, "pw_whsec")
	tampered := append([]byte(nil), body...)
	tampered[10] ^= 1
	if _, err := c.Webhook(h, tampered); err != adapters.ErrSignature {
		t.Errorf("tampered: %v", err)
	}
	wh, wb := delivery(c, "data", decryptedSeed, "other")
	if _, err := c.Webhook(wh, wb); err != adapters.ErrSignature {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := c.Webhook(http.Header{}, body); err != adapters.ErrSignature {
		t.Errorf("no header: %v", err)
	}
	plainSig := http.Header{"X-Paywize-Signature": {adapters.HMACHex([]byte("pw_whsec"), body)}} // without "sha256="
	if _, err := c.Webhook(plainSig, body); err != adapters.ErrSignature {
		t.Errorf("signature without prefix: %v", err)
	}
	// Signed but not decryptable: 400, not 401.
	junk := []byte(`{"data":"bm90IGNpcGhlcnRleHQ="}`)
	if _, err := c.Webhook(http.Header{"X-Paywize-Signature": {"sha256=" + adapters.HMACHex([]byte("pw_whsec"), junk)}}, junk); err == nil || err == adapters.ErrSignature {
		t.Errorf("undecryptable: %v", err)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[string]payout.Status{"INITIATED": payout.Queued, "PROCESSING": payout.Processing, "PENDING": payout.Processing,
		"SUCCESS": payout.Succeeded, "Success": payout.Succeeded, "COMPLETED": payout.Succeeded, "FAILED": payout.Failed,
		"failed": payout.Failed, "REFUNDED": payout.Reversed, "CANCELLED": payout.Cancelled}
	for in, want := range tests {
		if got, ok := paywize.MapStatus(in); !ok || got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

func FuzzWebhook(f *testing.F) {
	c := newClient(f, "")
	for _, p := range []string{decryptedSeed, `{"transaction_id":"T1","sender_id":"S1","status":"FAILED"}`} {
		_, body := delivery(c, "data", p, "pw_whsec")
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{"X-Paywize-Signature": {"sha256=" + adapters.HMACHex([]byte("pw_whsec"), body)},
			"X-Paywize-Timestamp": {"1640995200"}}
		ev, err := c.Webhook(h, body)
		if err == nil && !ev.Ignore && ev.Observation.Status == "" {
			t.Errorf("accepted an event with no status: %q", body)
		}
	})
}

// X-Paywize-Timestamp is required and is the HeaderSentAt; the signed
// timestamps.webhook_sent_at, when present, is the SentAt.
func TestWebhookSentAt(t *testing.T) {
	c := newClient(t, "")
	noSentAt := `{"transaction_id":"T1","sender_id":"S1","status":"FAILED"}`
	tests := []struct {
		name       string
		plain      string
		header     []string // X-Paywize-Timestamp values; nil for none
		sent, head time.Time
		refused    bool
	}{
		{"seed payload", decryptedSeed, []string{"1640995200"}, time.Date(2026, 1, 15, 10, 30, 31, 0, time.UTC),
			time.Unix(1640995200, 0), false},
		{"no webhook_sent_at", noSentAt, []string{"1640995200"}, time.Time{}, time.Unix(1640995200, 0), false},
		{"no header", noSentAt, nil, time.Time{}, time.Time{}, true},
		{"empty header", noSentAt, []string{""}, time.Time{}, time.Time{}, true},
		{"header not unix seconds", noSentAt, []string{"2026-01-15T10:30:31Z"}, time.Time{}, time.Time{}, true},
		{"header with a leading space", noSentAt, []string{" 1640995200"}, time.Time{}, time.Time{}, true},
		{"webhook_sent_at unreadable", strings.Replace(decryptedSeed, "2026-01-15T10:30:31Z", "soon", 1),
			[]string{"1640995200"}, time.Time{}, time.Time{}, true},
		{"informational, still timed", `{"transaction_id":"T1","status":"BANK_CONFIRMED",` +
			`"timestamps":{"webhook_sent_at":"2026-01-15T10:30:31Z"}}`, []string{"1640995200"},
			time.Date(2026, 1, 15, 10, 30, 31, 0, time.UTC), time.Unix(1640995200, 0), false},
	}
	for _, tt := range tests {
		h, body := delivery(c, "data", tt.plain, "pw_whsec")
		h.Del("X-Paywize-Timestamp")
		for _, v := range tt.header {
			h.Add("X-Paywize-Timestamp", v)
		}
		ev, err := c.Webhook(h, body)
		if got := errors.Is(err, adapters.ErrTimestamp); got != tt.refused || !tt.refused && err != nil {
			t.Errorf("%s: err %v, want refused %v", tt.name, err, tt.refused)
			continue
		}
		if !ev.SentAt.Equal(tt.sent) || !ev.HeaderSentAt.Equal(tt.head) {
			t.Errorf("%s: SentAt %s, HeaderSentAt %s; want %s, %s", tt.name, ev.SentAt, ev.HeaderSentAt, tt.sent, tt.head)
		}
	}
}

// A submission whose answer says nothing payops can read (a 2xx without a
// resp_code) may have been taken: no clear answer. A refusal for funds
// after a try that got no answer (a 502) is marked as such: the first try
// may have debited the wallet.
func TestSubmitAnswersThatAreNotClear(t *testing.T) {
	ctx := context.Background()
	f := &fake{c: newClient(t, ""), bySender: map[string]map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv.URL)
	c.Caller().MaxAttempts = 1
	f.noCode.Store(true)
	if _, err := c.Submit(ctx, sample); adapters.KindOf(err) != adapters.Transient {
		t.Errorf("2xx without resp_code: %v, want transient (unclear)", err)
	}
	f.noCode.Store(false)
	c.Caller().MaxAttempts = 3
	f.fail5xx.Store(1)
	_, err := c.Submit(ctx, sample)
	if adapters.KindOf(err) != adapters.InsufficientFunds || !adapters.AfterUnclearTry(err) {
		t.Errorf("502 then no funds: %v (after unclear %v), want insufficient funds after an unclear try", err,
			adapters.AfterUnclearTry(err))
	}
	if _, err := c.Submit(ctx, sample); adapters.KindOf(err) != adapters.InsufficientFunds || adapters.AfterUnclearTry(err) {
		t.Errorf("no funds, first try: %v, want a clear refusal", err)
	}
}

// A retry that Paywize refuses as a duplicate sender_id after a try whose
// answer was lost is our own first try: when the lookup does not find it
// (yet), the outcome stays unclear, never "Paywize does not have it" (the
// payout could then be rejected while Paywize pays it). Without a lost try
// first, 4002 with nothing found is an invalid reference, as before.
func TestADuplicateAfterALostAnswerStaysUnclear(t *testing.T) {
	ctx := context.Background()
	f := &fake{c: newClient(t, ""), bySender: map[string]map[string]string{}, funds: true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv.URL)
	c.Caller().MaxAttempts = 3
	f.lostAnswer.Store(true)
	f.unlisted.Store(true)
	_, err := c.Submit(ctx, sample)
	if adapters.KindOf(err) != adapters.Transient {
		t.Errorf("lost answer, then 4002 and not found: %v (%s), want transient (Paywize may have it)", err,
			adapters.KindOf(err))
	}
	if _, err := c.Submit(ctx, sample); adapters.KindOf(err) != adapters.NotFound {
		t.Errorf("4002 and not found on a first try: %v, want not found", err)
	}
}

// A 4xx whose body carries no resp_code is what its HTTP status says: a
// 401 from a gateway is a credentials problem (never retried, the token
// dropped), not a bad request.
func TestA4xxWithoutRespCodeKeepsItsStatusClass(t *testing.T) {
	ctx := context.Background()
	f := &fake{c: newClient(t, ""), bySender: map[string]map[string]string{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv.URL)
	f.bare.Store(401)
	p := sample
	p.ProviderPayoutID = "TXN000001"
	if _, err := c.Status(ctx, p); adapters.KindOf(err) != adapters.Credentials {
		t.Errorf("401 without resp_code: %v (%s), want credentials", err, adapters.KindOf(err))
	}
}
