package jobs_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"payops/adapters"
	"payops/adapters/nxtbanking"
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
