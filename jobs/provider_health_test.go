package jobs_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
	"payops/adapters/razorpayx"
	"payops/adapters/sandbox"
	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// balanceSandbox is a sandbox holding rupees, with its balance call on.
func balanceSandbox(t *testing.T, rupees string) (*sandbox.Server, adapters.Registry) {
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s", Balance: rupees})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL,
		APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: 2 * time.Second, Balance: true})}
}

func TestAPayoutLargerThanTheBalanceIsHeldForFunding(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	_, reg := balanceSandbox(t, "1000.00")
	intake(t, s, payout.Policy{}, "BAL-1", "sandbox", 60000) // ₹600: sent
	intake(t, s, payout.Policy{}, "BAL-2", "sandbox", 60000) // ₹600 of the ₹400 left: held
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet, Workers: 1, Health: s}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("sent %d %v, want 1", n, err)
	}
	if p := payoutOf(t, s, "BAL-1"); p.SubmittedAt == nil {
		t.Errorf("BAL-1 not sent: %+v", p)
	}
	held := payoutOf(t, s, "BAL-2")
	if held.Status != payout.Held || held.SubmittedAt != nil {
		t.Fatalf("BAL-2: %s sent %v, want HELD and not sent", held.Status, held.SubmittedAt)
	}
	holds, err := s.HoldsFor(ctx, held.ID)
	if err != nil || len(holds) != 1 || holds[0].Reason != payout.ReasonFunding {
		t.Fatalf("holds %+v %v, want one funding hold", holds, err)
	}
	hs, err := s.ProvidersHealth(ctx, []string{"sandbox"}, time.Now())
	if err != nil || len(hs) != 1 || hs[0].Balance == nil || hs[0].Balance.Minor != 100000 || hs[0].BalanceAt == nil {
		t.Fatalf("health %+v %v, want the balance read before the run (₹1,000.00)", hs, err)
	}
}

func TestTheBreakerStopsSendingToAFailingProvider(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	prov := newProvider(t)
	prov.fail.Store("503")
	for _, ref := range []string{"CB-1", "CB-2", "CB-3", "CB-4", "CB-5"} {
		intake(t, s, payout.Policy{}, ref, "sandbox", 100000)
	}
	w := &jobs.Submitter{Store: s, Providers: prov.registry(), Log: quiet, Workers: 1, Health: s,
		Breaker: store.Breaker{Threshold: 2, Cooldown: time.Hour}, Backoff: func(int) time.Duration { return 0 }}
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, ref := range []string{"CB-1", "CB-2", "CB-3", "CB-4", "CB-5"} {
		if a, _ := prov.counts(ref); a > 0 { // each submission is tried up to 4 times by the client
			asked++
		}
		if p := payoutOf(t, s, ref); p.Status != payout.Queued {
			t.Errorf("%s: %s, want QUEUED", ref, p.Status)
		}
	}
	if asked != 2 {
		t.Errorf("the provider was asked to create %d payouts, want 2 (the breaker's threshold)", asked)
	}
	pauses, err := s.Pauses(ctx)
	if err != nil || len(pauses) != 1 || pauses[0].Kind != "breaker" {
		t.Fatalf("pauses %+v %v, want the breaker", pauses, err)
	}
}

// lowStore answers the balance_low condition's read.
type lowStore struct {
	jobs.ConditionStore
	low []store.LowBalance
}

func (l lowStore) LowBalances(context.Context, time.Time) ([]store.LowBalance, error) {
	return l.low, nil
}

func TestBalanceLowCondition(t *testing.T) {
	st := lowStore{low: []store.LowBalance{{Provider: "razorpayx", Balance: payout.Money{Minor: 100, Currency: "INR"},
		At: time.Now(), DailyOutflow: payout.Money{Minor: 1000, Currency: "INR"}}}}
	for _, c := range jobs.StandardConditions(st, time.Minute) {
		if c.Kind != payout.CondBalanceLow {
			continue
		}
		got, err := c.Evaluate(context.Background(), time.Now(), store.NotifyChannel{})
		if err != nil || len(got) != 1 || got[0].Key != "balance_low:razorpayx" {
			t.Fatalf("got %+v %v, want balance_low:razorpayx", got, err)
		}
		return
	}
	t.Fatal("no balance_low condition")
}

// A key that may send payouts but not read the balance (RazorpayX answers
// 403) is not an outage: the provider-balances job records why on the
// providers page and succeeds, instead of failing (and alerting) every
// five minutes; a balance call that fails otherwise still fails the job.
func TestABalanceTheKeyMayNotReadDoesNotFailTheJob(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	var status atomic.Int32
	status.Store(http.StatusForbidden)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/banking_balances" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, `{"error":{"code":"BAD_REQUEST_ERROR","description":"Access Denied","source":"NA","step":"NA","reason":"NA"}}`)
	}))
	defer srv.Close()
	reg := adapters.Registry{"razorpayx": razorpayx.NewClient(razorpayx.Config{BaseURL: srv.URL, KeyID: "rzp_test_k",
		KeySecret: "secret", AccountNumber: "7878780080316316", Timeout: 2 * time.Second})}
	r := &jobs.BalanceReader{Store: s, Providers: reg, Log: quiet, Timeout: 2 * time.Second}
	out, err := r.Run(ctx)
	if err != nil || out.Examined != 1 || out.Changed != 0 {
		t.Fatalf("a 403 on the balance: %+v %v, want examined 1 and no error", out, err)
	}
	hs, err := s.ProvidersHealth(ctx, []string{"razorpayx"}, time.Now())
	if err != nil || len(hs) != 1 || !strings.Contains(hs[0].BalanceError, "may not read the balance") ||
		!strings.Contains(hs[0].BalanceError, "HTTP 403") || strings.Contains(hs[0].BalanceError, "secret") {
		t.Fatalf("providers page's balance error %+v %v", hs, err)
	}

	status.Store(http.StatusInternalServerError)
	if _, err := r.Run(ctx); err == nil || !strings.Contains(err.Error(), "razorpayx: ") || strings.Contains(err.Error(), "secret") {
		t.Errorf("a balance call answered 500: %v, want the job failed naming the provider and why", err)
	}
}

// refusingSandbox is a sandbox holding ₹1,000 (its balance call on) that
// answers the create of a reference containing ref with status and body.
func refusingSandbox(t *testing.T, ref string, status int, body string) adapters.Registry {
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "k", APISecret: "s", Balance: "1000.00"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/payouts" {
			b, _ := io.ReadAll(r.Body)
			if strings.Contains(string(b), ref) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, body)
				return
			}
			r.Body = io.NopCloser(strings.NewReader(string(b)))
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return adapters.Registry{"sandbox": nxtbanking.NewClient(nxtbanking.Config{Name: "sandbox", BaseURL: srv.URL,
		APIKey: "k", APISecret: "s", WebhookSecret: "w", Timeout: 2 * time.Second, Balance: true})}
}

// A payout the provider clearly refuses gives its amount back to what the
// run counts as left: the next payout is sent, not held for funds the
// refused one never took. One refused for insufficient funds says the
// balance read is too high: the rest of the run is held, not sent to be
// refused one by one.
func TestARefusedPayoutSettlesTheRunsBalance(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	reg := refusingSandbox(t, "GB-1", http.StatusBadRequest, `{"error": "beneficiary account is invalid"}`)
	intake(t, s, payout.Policy{}, "GB-1", "sandbox", 80000) // ₹800: refused by the provider
	intake(t, s, payout.Policy{}, "GB-2", "sandbox", 80000) // ₹800: fits once GB-1's is given back
	w := &jobs.Submitter{Store: s, Providers: reg, Log: quiet, Workers: 1, Health: s}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("sent %d %v, want 1 (GB-2)", n, err)
	}
	if p := payoutOf(t, s, "GB-2"); p.SubmittedAt == nil || p.Status == payout.Held {
		t.Errorf("GB-2: %s, sent %v; want sent: the refused payout spent nothing", p.Status, p.SubmittedAt)
	}

	s = pgtest.New(t)
	reg = refusingSandbox(t, "NF-1", http.StatusUnprocessableEntity, `{"error": "insufficient balance in the source account"}`)
	intake(t, s, payout.Policy{}, "NF-1", "sandbox", 30000) // ₹300: the provider has less than it said
	intake(t, s, payout.Policy{}, "NF-2", "sandbox", 30000) // ₹300: held by the run, not sent
	w = &jobs.Submitter{Store: s, Providers: reg, Log: quiet, Workers: 1, Health: s}
	if n, err := w.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("sent %d %v, want none", n, err)
	}
	if p := payoutOf(t, s, "NF-2"); p.Status != payout.Held || p.SubmittedAt != nil {
		t.Errorf("NF-2: %s, sent %v; want HELD for funds, never sent", p.Status, p.SubmittedAt)
	}
}
