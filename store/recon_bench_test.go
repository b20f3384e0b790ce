package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"payops/payout"
	"payops/store/pgtest"
)

// BenchmarkReconcileMillion reconciles one provider's day of one million
// payouts against the provider's one million records, 0.5% missing on each
// side and 0.2% amount and 0.2% status mismatches, as `make bench` runs it:
// loading the provider's records, matching, the differences and the totals.
// Beside it, a bare FULL OUTER JOIN of the same rows, the floor PostgreSQL
// sets. The setup (inserting the payouts) is not measured.
func BenchmarkReconcileMillion(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	s := pgtest.New(b)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	db := s.DB()
	var ben int64
	if err := db.Get(&ben, `INSERT INTO beneficiaries (name, account_number, ifsc) VALUES ('Bench', '123456789012', 'HDFC0001234') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	db.MustExec(`
		INSERT INTO payouts (reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, status,
			fee_minor, submitted_at, created_at, updated_at)
		SELECT 'B-' || g, 'sandbox', 'pp-B-' || g, $1, 1000 + g % 100000, 'INR', 'SUCCEEDED', 500,
			$2::timestamptz + (g % 86400) * interval '1 second', $2::timestamptz + (g % 86400) * interval '1 second', now()
		FROM generate_series(1, $3::int) g`, ben, day, n)
	db.MustExec(`ANALYZE payouts`)
	fee := int64(500)
	records := make([]payout.ProviderRecord, n)
	for i := range records {
		g := int64(i + 1)
		r := payout.ProviderRecord{ProviderPayoutID: fmt.Sprintf("pp-B-%d", g), ReferenceID: fmt.Sprintf("B-%d", g),
			Amount: payout.Money{Minor: 1000 + g%100000, Currency: "INR"}, Status: payout.Succeeded, Fee: &fee}
		switch {
		case g%200 == 13:
			r.ProviderPayoutID, r.ReferenceID = fmt.Sprintf("pp-X-%d", g), fmt.Sprintf("X-%d", g) // missing on each side
		case g%500 == 7:
			r.Amount.Minor++ // amount mismatch
		case g%500 == 11:
			r.Status = payout.Failed // status mismatch
		}
		records[i] = r
	}
	b.Logf("setup: %d payouts and records in %s", n, time.Since(start).Round(time.Millisecond))
	b.ReportAllocs()
	b.ResetTimer()
	var runID int64
	for b.Loop() {
		run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "list", "bench", records)
		if err != nil {
			b.Fatal(err)
		}
		if want := 2*n/200 + 2*n/500; run.Diffs != want {
			b.Fatalf("%d diffs, want %d", run.Diffs, want)
		}
		runID = run.ID
	}
	took := b.Elapsed().Seconds() / float64(b.N)
	b.StopTimer()
	start = time.Now()
	var joined int
	if err := db.Get(&joined, `SELECT count(*) FROM (SELECT * FROM payouts WHERE provider = 'sandbox') p
		FULL OUTER JOIN (SELECT * FROM recon_records WHERE run_id = $1) t ON t.provider_payout_id = p.provider_payout_id`, runID); err != nil {
		b.Fatal(err)
	}
	bare := time.Since(start).Seconds()
	b.ReportMetric(float64(n)/took, "payouts/s")
	b.ReportMetric(bare, "bare-join-s")
	b.ReportMetric(took/bare, "x-bare-join")
}
