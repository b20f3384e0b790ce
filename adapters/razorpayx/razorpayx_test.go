package razorpayx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/razorpayx"
	"payops/payout"
)

// fake follows RazorpayX's documented Payouts API: basic auth, the
// mandatory X-Payout-Idempotency header (same key, same payout), GET by id,
// and the list with account_number, from/to in unix seconds, count and skip.
type fake struct {
	mu        sync.Mutex
	byKey     map[string]map[string]any
	byID      map[string]map[string]any
	calls     atomic.Int32
	fail5xx   atomic.Int32 // answer this many requests with 503 first
	lowFunds  bool
	createdAt int64
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{byKey: map[string]map[string]any{}, byID: map[string]map[string]any{}, createdAt: time.Now().Unix()}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func apiErr(w http.ResponseWriter, code int, reason, desc string) {
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "BAD_REQUEST_ERROR", "description": desc,
		"source": "business", "step": "NA", "reason": reason, "metadata": map[string]any{}}})
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	if u, p, ok := r.BasicAuth(); !ok || u != "rzp_key" || p != "rzp_secret" {
		apiErr(w, 401, "NA", "The api key provided is invalid")
		return
	}
	if f.fail5xx.Load() > 0 {
		f.fail5xx.Add(-1)
		w.WriteHeader(503)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "POST" && r.URL.Path == "/v1/payouts":
		key := r.Header.Get("X-Payout-Idempotency")
		if key == "" {
			apiErr(w, 400, "input_validation_failed", "Idempotency key is missing. Include idempotency header and key in the request.")
			return
		}
		if f.lowFunds {
			apiErr(w, 400, "insufficient_funds", "You do not have enough funds in your account")
			return
		}
		if p, ok := f.byKey[key]; ok {
			json.NewEncoder(w).Encode(p)
			return
		}
		var req struct {
			AccountNumber string `json:"account_number"`
			Amount        int64  `json:"amount"`
			ReferenceID   string `json:"reference_id"`
			FundAccount   struct {
				BankAccount struct {
					AccountNumber string `json:"account_number"`
				} `json:"bank_account"`
			} `json:"fund_account"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if req.AccountNumber != "2323230000000001" || req.Amount < 100 || req.FundAccount.BankAccount.AccountNumber == "" {
			apiErr(w, 400, "input_validation_failed", "bad request")
			return
		}
		id := fmt.Sprintf("pout_%014d", len(f.byID)+1)
		p := map[string]any{"id": id, "entity": "payout", "amount": req.Amount, "currency": "INR", "fees": 590, "tax": 90,
			"status": "processing", "utr": nil, "mode": "IMPS", "reference_id": req.ReferenceID, "created_at": f.createdAt,
			"status_details": map[string]any{"reason": "beneficiary_bank_confirmation_pending", "source": "beneficiary_bank", "description": "pending"}}
		f.byKey[key], f.byID[id] = p, p
		json.NewEncoder(w).Encode(p)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/payouts/"):
		p, ok := f.byID[strings.TrimPrefix(r.URL.Path, "/v1/payouts/")]
		if !ok {
			apiErr(w, 400, "input_validation_failed", "The id provided does not exist")
			return
		}
		json.NewEncoder(w).Encode(p)
	case r.Method == "GET" && r.URL.Path == "/v1/payouts":
		q := r.URL.Query()
		if q.Get("account_number") == "" {
			apiErr(w, 400, "input_validation_failed", "account_number is required")
			return
		}
		from, _ := strconv.ParseInt(q.Get("from"), 10, 64)
		to, _ := strconv.ParseInt(q.Get("to"), 10, 64)
		count, _ := strconv.Atoi(q.Get("count"))
		skip, _ := strconv.Atoi(q.Get("skip"))
		var items []map[string]any
		for i := 1; i <= len(f.byID); i++ {
			p := f.byID[fmt.Sprintf("pout_%014d", i)]
			if ref := q.Get("reference_id"); ref != "" && p["reference_id"] != ref {
				continue
			}
			if q.Has("from") && (p["created_at"].(int64) < from || p["created_at"].(int64) > to) {
				continue
			}
			items = append(items, p)
		}
		if skip < len(items) {
			items = items[skip:]
		} else {
			items = nil
		}
		if count > 0 && len(items) > count {
			items = items[:count]
		}
		json.NewEncoder(w).Encode(map[string]any{"entity": "collection", "count": len(items), "items": items})
	default:
		w.WriteHeader(404)
	}
}

func client(url string) *razorpayx.Client {
	c := razorpayx.NewClient(razorpayx.Config{BaseURL: url, KeyID: "rzp_key", KeySecret: "rzp_secret",
		AccountNumber: "2323230000000001", WebhookSecrets: []string{"whsec_new", "whsec_old"}})
	c.Caller().BaseDelay = time.Millisecond
	return c
}

var sample = adapters.Payout{ReferenceID: "PO-1001", Amount: payout.Money{Minor: 125050, Currency: "INR"}, Mode: "IMPS",
	Narration: "Seller settlement, May!", Beneficiary: adapters.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}}

func TestSubmitStatusList(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	c := client(srv.URL)
	f.fail5xx.Store(2) // the first two attempts meet a 503: retried
	obs, err := c.Submit(ctx, sample)
	if err != nil {
		t.Fatal(err)
	}
	if obs.ProviderPayoutID != "pout_00000000000001" || obs.Status != payout.Processing || obs.Fee.Minor != 590 {
		t.Errorf("submit: %+v", obs)
	}
	again, err := c.Submit(ctx, sample) // the same idempotency key: the same payout
	if err != nil || again.ProviderPayoutID != obs.ProviderPayoutID || len(f.byID) != 1 {
		t.Errorf("second submit: %+v %v, %d payouts", again, err, len(f.byID))
	}
	f.byID[obs.ProviderPayoutID]["status"] = "processed"
	f.byID[obs.ProviderPayoutID]["utr"] = "523223155921"
	st, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: obs.ProviderPayoutID})
	if err != nil || st.Status != payout.Succeeded || st.UTR != "523223155921" {
		t.Errorf("status: %+v %v", st, err)
	}
	if st, err := c.Status(ctx, adapters.Payout{ReferenceID: "PO-1001"}); err != nil || st.ProviderPayoutID != obs.ProviderPayoutID {
		t.Errorf("status by reference: %+v %v", st, err)
	}
	for i := 2; i <= 205; i++ {
		s := sample
		s.ReferenceID = fmt.Sprintf("PO-%d", 1000+i)
		if _, err := c.Submit(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := c.List(ctx, time.Unix(f.createdAt, 0).Add(-time.Hour), time.Unix(f.createdAt, 0).Add(time.Hour))
	if err != nil || len(recs) != 205 || recs[0].Amount.Minor != 125050 || recs[0].Status != payout.Succeeded {
		t.Errorf("list: %d records, %v", len(recs), err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t)
	bad := razorpayx.NewClient(razorpayx.Config{BaseURL: srv.URL, KeyID: "rzp_key", KeySecret: "wrong", AccountNumber: "2323230000000001"})
	_, err := bad.Submit(ctx, sample)
	if adapters.KindOf(err) != adapters.Credentials || f.calls.Load() != 1 {
		t.Errorf("401: %v after %d calls, want credentials and no retry", err, f.calls.Load())
	}
	c := client(srv.URL)
	f.lowFunds = true
	if _, err := c.Submit(ctx, sample); adapters.KindOf(err) != adapters.InsufficientFunds {
		t.Errorf("low funds: %v", err)
	}
	f.lowFunds = false
	if _, err := c.Status(ctx, adapters.Payout{ReferenceID: "never"}); adapters.KindOf(err) != adapters.NotFound {
		t.Errorf("unknown reference: %v", err)
	}
	f.fail5xx.Store(100)
	before := f.calls.Load()
	if _, err := c.Status(ctx, adapters.Payout{ProviderPayoutID: "pout_1"}); adapters.KindOf(err) != adapters.Transient || f.calls.Load()-before != 4 {
		t.Errorf("5xx: %v after %d attempts, want transient after 4", err, f.calls.Load()-before)
	}
}

func TestIdempotencyKey(t *testing.T) {
	if got := razorpayx.IdempotencyKey("PO-1001"); got != "PO-1001" {
		t.Errorf("valid reference changed: %q", got)
	}
	long := razorpayx.IdempotencyKey(strings.Repeat("x", 50) + "/ü")
	if len(long) != 36 || long != razorpayx.IdempotencyKey(strings.Repeat("x", 50)+"/ü") {
		t.Errorf("derived key %q is not stable or not 36 characters", long)
	}
}

// samplePayout is RazorpayX's documented payout.processed delivery (made
// valid JSON).
const samplePayout = `{"entity":"event","account_id":"acc_Pup4LDLiA1DssX","event":"payout.processed","contains":["payout"],"payload":{"payout":{"entity":{"id":"pout_R7ambiUdUvg6AD","entity":"payout","fund_account_id":"fa_R7amb4zOx1gJoF","amount":100,"currency":"INR","notes":{},"fees":0,"tax":0,"status":"processed","purpose":"payout","utr":"523223155921","mode":"UPI","reference_id":null,"narration":"Payout to Acme Corp","batch_id":null,"failure_reason":null,"created_at":1755693656,"status_details":{"reason":"payout_processed","description":"Payout is processed and the money has been credited into the beneficiary account.","source":"beneficiary_bank"}}}},"created_at":1755693679}`

const sampleDowntime = `{"entity":"event","account_id":"acc_1","event":"payout.downtime.started","contains":["payout.downtime"],"payload":{"payout.downtime":{"entity":{"id":"poutdown_1","status":"started"}}},"created_at":1755693679}`

func signed(secret, body string) http.Header {
	return http.Header{"X-Razorpay-Signature": {adapters.HMACHex([]byte(secret), []byte(body))}, "X-Razorpay-Event-Id": {"evt_1"}}
}

func TestWebhook(t *testing.T) {
	c := client("http://unused")
	ev, err := c.Webhook(signed("whsec_new", samplePayout), []byte(samplePayout))
	if err != nil {
		t.Fatal(err)
	}
	// X-Razorpay-Event-Id is not signed: the event is known by its body.
	if ev.ID != "" || ev.Type != "payout.processed" || ev.Observation.Status != payout.Succeeded ||
		ev.Observation.ProviderPayoutID != "pout_R7ambiUdUvg6AD" || ev.Observation.UTR != "523223155921" {
		t.Errorf("event %+v", ev)
	}
	if _, err := c.Webhook(signed("whsec_old", samplePayout), []byte(samplePayout)); err != nil {
		t.Errorf("rotated-out secret still in the list refused: %v", err)
	}
	if ev, err := c.Webhook(signed("whsec_new", sampleDowntime), []byte(sampleDowntime)); err != nil || !ev.Ignore {
		t.Errorf("downtime event: %+v %v, want ignored", ev, err)
	}
	tampered := strings.Replace(samplePayout, `"amount":100`, `"amount":900`, 1)
	for name, h := range map[string]http.Header{
		"tampered body": signed("whsec_new", samplePayout),
		"wrong secret":  signed("other", tampered),
		"no header":     {},
	} {
		if _, err := c.Webhook(h, []byte(tampered)); err != adapters.ErrSignature {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	if _, err := c.Webhook(signed("whsec_new", "{not json"), []byte("{not json")); !strings.Contains(fmt.Sprint(err), "cannot be parsed") {
		t.Errorf("garbage: %v", err)
	}
}

func TestStatusMapping(t *testing.T) {
	tests := map[string]payout.Status{"pending": payout.Queued, "queued": payout.Queued, "scheduled": payout.Queued,
		"processing": payout.Processing, "processed": payout.Succeeded, "failed": payout.Failed, "reversed": payout.Reversed,
		"rejected": payout.Cancelled, "cancelled": payout.Cancelled, "PROCESSED": payout.Succeeded}
	for in, want := range tests {
		if got, ok := razorpayx.MapStatus(in); !ok || got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
	if _, ok := razorpayx.MapStatus("teleported"); ok {
		t.Error("unknown status mapped")
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(samplePayout))
	f.Add([]byte(sampleDowntime))
	f.Add([]byte(`{"event":"payout.updated","payload":{"payout":{"entity":{"id":"pout_1","status":"processing"}}}}`))
	c := client("http://unused")
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := c.Webhook(signed("whsec_new", string(body)), body)
		if err == nil && !ev.Ignore && ev.Observation.Status == "" {
			t.Errorf("accepted an event with no status: %q", body)
		}
	})
}

// The envelope's created_at (unix seconds, signed) is when the event was
// made, which its retries keep for 24 hours; the payout entity's created_at
// is not. Absent, none is checked. It is no send time.
func TestWebhookMadeAt(t *testing.T) {
	c := client("http://unused")
	createdAt := func(v string) string {
		return strings.Replace(samplePayout, `,"created_at":1755693679}`, v+`}`, 1)
	}
	tests := []struct {
		name    string
		body    string
		want    time.Time
		refused bool
	}{
		{"seed sample", samplePayout, time.Unix(1755693679, 0), false},
		{"downtime, ignored", sampleDowntime, time.Unix(1755693679, 0), false},
		{"no created_at", createdAt(""), time.Time{}, false},
		{"created_at null", createdAt(`,"created_at":null`), time.Time{}, false},
		{"created_at a string", createdAt(`,"created_at":"today"`), time.Time{}, true},
		{"created_at a fraction", createdAt(`,"created_at":1755693679.5`), time.Time{}, true},
	}
	for _, tt := range tests {
		ev, err := c.Webhook(signed("whsec_new", tt.body), []byte(tt.body))
		if got := errors.Is(err, adapters.ErrTimestamp); got != tt.refused || !tt.refused && err != nil {
			t.Errorf("%s: err %v, want refused %v", tt.name, err, tt.refused)
			continue
		}
		if got := ev.MadeAt; !got.Equal(tt.want) || !ev.SentAt.IsZero() || (!got.IsZero() && ev.Retries != 24*time.Hour) {
			t.Errorf("%s: MadeAt %s (retries %s, SentAt %s), want %s", tt.name, got, ev.Retries, ev.SentAt, tt.want)
		}
	}
}

// A submission RazorpayX answered 2xx but whose answer payops cannot read
// (a broken body, a status it does not know) is no clear answer: the
// provider may have the payout, so it is transient (sent again under the
// same idempotency key), never a refusal. A refusal before sending stays
// one.
func TestAnUnreadableAnswerToASubmissionIsUnclear(t *testing.T) {
	ctx := context.Background()
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body.Load().(string))
	}))
	defer srv.Close()
	c := client(srv.URL)
	for _, b := range []string{`<html>upstream ok</html>`,
		`{"id":"pout_1","entity":"payout","amount":125050,"currency":"INR","status":"mystery","reference_id":"PO-1001"}`} {
		body.Store(b)
		_, err := c.Submit(ctx, sample)
		if adapters.KindOf(err) != adapters.Transient || !strings.Contains(err.Error(), "may have the payout") {
			t.Errorf("answer %s: %v, want a transient error saying it may have the payout", b, err)
		}
	}
	usd := sample
	usd.Amount.Currency = "USD"
	if _, err := c.Submit(ctx, usd); adapters.KindOf(err) != adapters.Request {
		t.Errorf("a USD payout, refused before sending: %v, want a request error", err)
	}
}
