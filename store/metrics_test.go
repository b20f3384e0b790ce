package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// trueCounts counts payouts by status and provider the slow way, drills'
// left out, as PayoutCounts reports them (zeros dropped).
func trueCounts(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	var rows []store.PayoutCount
	if err := s.DB().Select(&rows, `SELECT status, provider, count(*) AS count FROM payouts
		WHERE livemode GROUP BY status, provider`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[string(r.Status)+"/"+r.Provider] = r.Count
	}
	return out
}

func countsOf(t *testing.T, s *store.Store) map[string]int64 {
	t.Helper()
	rows, err := s.PayoutCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		if r.Count != 0 {
			out[string(r.Status)+"/"+r.Provider] = r.Count
		}
	}
	return out
}

func sameCounts(t *testing.T, when string, got, want map[string]int64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: PayoutCounts = %v, want %v", when, got, want)
	}
}

// Payouts by status and provider stay exact while payouts are created and
// settled concurrently through the one apply function and folds run in
// between and at the same time (two at once, as two instances' jobs could
// if their lock failed): the deltas' triggers and the fold lose nothing and
// count nothing twice.
func TestPayoutCountsExactUnderConcurrentChangesAndFolds(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	const n = 60
	for i := range n {
		newPayout(t, s, fmt.Sprintf("CNT-%d", i), payout.Processing)
	}
	sameCounts(t, "after creating", countsOf(t, s), trueCounts(t, s))
	settle := []payout.Status{payout.Succeeded, payout.Failed, payout.Succeeded}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				st := settle[i%len(settle)]
				_, err := s.ApplyObservation(ctx, fmt.Sprintf("CNT-%d", i), store.First(true),
					payout.Observation{Source: payout.SourceWebhook, RawStatus: string(st), Status: st})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := s.FoldPayoutCounts(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := trueCounts(t, s)
	if want["SUCCEEDED/sandbox"] != 40 || want["FAILED/sandbox"] != 20 {
		t.Fatalf("the settling went otherwise than planned: %v", want)
	}
	sameCounts(t, "after the changes", countsOf(t, s), want)
	if _, err := s.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "after a last fold", countsOf(t, s), want)
	var left int
	if err := s.DB().Get(&left, `SELECT count(*) FROM payout_deltas`); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d deltas left after the last fold", left)
	}

	// A set-based insert adds a delta row per status and provider; a
	// TRUNCATE (tests and benchmarks) empties the counts with the payouts.
	s.DB().MustExec(`INSERT INTO payouts (reference_id, provider, beneficiary_id, amount_minor, currency, status)
		SELECT 'SET-' || g, 'xendit', (SELECT min(id) FROM beneficiaries), 100, 'INR', 'QUEUED' FROM generate_series(1, 500) g`)
	if err := s.DB().Get(&left, `SELECT count(*) FROM payout_deltas`); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d delta rows for one set-based insert of 500 payouts, want 1", left)
	}
	sameCounts(t, "after a set-based insert", countsOf(t, s), trueCounts(t, s))
	s.DB().MustExec(`TRUNCATE payouts CASCADE`)
	sameCounts(t, "after TRUNCATE", countsOf(t, s), map[string]int64{})
}
