package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Past stuckCountedUpTo stuck payouts, the list counts live ones as the
// open payouts of its filter from the folded counts, less those changed
// since the cut-off; the count stays exact on every path: few stuck, many
// stuck and few recent, many of both, a provider asked, deltas folded or
// not, test payouts, and folded counts that say fewer than were seen.
func TestStuckCountIsExactOnEveryPath(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	defer store.SetStuckCountedUpTo(store.SetStuckCountedUpTo(3))

	n := 0
	add := func(provider string, status payout.Status, age time.Duration, test bool) {
		t.Helper()
		n++
		ref := fmt.Sprintf("C-%d", n)
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{
			ReferenceID: ref, Provider: provider, ProviderPayoutID: "p_" + ref, Test: test,
			Amount: payout.Money{Minor: 100, Currency: "INR"}, Mode: "IMPS", Status: status,
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(ctx, `UPDATE payouts SET updated_at = now() - $2 * interval '1 second'
			WHERE reference_id = $1`, ref, age.Seconds()); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now().Add(-10 * time.Minute)
	count := func(f store.StuckFilter) int {
		t.Helper()
		f.Before, f.Limit = before, 50
		_, total, err := s.StuckPayouts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return total.All
	}
	check := func(what string, want map[string]int) {
		t.Helper()
		for _, fold := range []bool{false, true} {
			for provider, w := range want {
				f := store.StuckFilter{Provider: provider}
				if provider == "test" {
					f = store.StuckFilter{Test: true}
				}
				if got := count(f); got != w {
					t.Errorf("%s (deltas folded %v), %+v: %d stuck, want %d", what, fold, f, got, w)
				}
			}
			if _, err := s.FoldPayoutCounts(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Few stuck: counted one by one. Settled and recent payouts are not stuck.
	add("xendit", payout.Processing, time.Hour, false)
	add("xendit", payout.Queued, 2*time.Hour, false)
	add("xendit", payout.Succeeded, 3*time.Hour, false)
	add("xendit", payout.Processing, time.Minute, false)
	check("two stuck", map[string]int{"": 2, "xendit": 2, "paywize": 0, "test": 0})

	// Many stuck, one recent: the folded counts less the recent one.
	add("xendit", payout.Processing, 5*time.Hour, false)
	add("paywize", payout.Processing, 30*time.Hour, false)
	add("paywize", payout.Queued, 30*time.Hour, false)
	add("paywize", payout.Processing, time.Hour, true)
	check("many stuck, one recent", map[string]int{"": 5, "xendit": 3, "paywize": 2, "test": 1})

	// A payout that settles leaves both counts.
	if _, err := s.DB().ExecContext(ctx, `UPDATE payouts SET status = 'SUCCEEDED' WHERE reference_id = 'C-5'`); err != nil {
		t.Fatal(err)
	}
	check("one settled", map[string]int{"": 4, "xendit": 2, "paywize": 2})

	// Many recent too: every stuck payout counted.
	for range 3 {
		add("paywize", payout.Processing, 2*time.Minute, false)
	}
	check("many of both", map[string]int{"": 4, "xendit": 2, "paywize": 2})

	// Test payouts have no folded counts: counted one by one past the limit.
	for range 3 {
		add("sandbox", payout.Queued, 3*time.Hour, true)
	}
	check("test payouts", map[string]int{"test": 4})

	// The folded counts are what the count reads past the limit with few
	// recent: they are exact at the statement's snapshot, so one the fold
	// has not taken in yet counts (a payout made outside the triggers would
	// not). When they say fewer than were just seen, every stuck payout is
	// counted instead.
	if _, err := s.DB().ExecContext(ctx, `UPDATE payouts SET status = 'SUCCEEDED'
		WHERE reference_id IN ('C-9', 'C-10', 'C-11')`); err != nil {
		t.Fatal(err)
	}
	check("few recent again", map[string]int{"": 4, "paywize": 2})
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO payout_deltas (status, provider, n) VALUES ('QUEUED', 'paywize', 10)`); err != nil {
		t.Fatal(err)
	}
	if got := count(store.StuckFilter{Provider: "paywize"}); got != 2 {
		t.Errorf("paywize with folded counts of 10 too many and few stuck: %d, want 2 (counted one by one)", got)
	}
	if got := count(store.StuckFilter{}); got != 14 {
		t.Errorf("all providers with folded counts of 10 too many: %d, want 14 (read from the counts)", got)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO payout_deltas (status, provider, n) VALUES ('QUEUED', 'paywize', -20)`); err != nil {
		t.Fatal(err)
	}
	if got := count(store.StuckFilter{}); got != 4 {
		t.Errorf("all providers with folded counts of 10 too few: %d, want 4 (counted one by one)", got)
	}
}
