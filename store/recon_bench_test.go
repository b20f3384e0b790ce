package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// BenchmarkReconcileMillion reconciles one provider's day of one million
// payouts against the provider's one million records, 0.5% missing on each
// side and 0.2% amount and 0.2% status mismatches: matching, the
// differences and the totals, and storing them with the records. Beside it, a bare FULL
// OUTER JOIN of the same rows (the median of three), the floor PostgreSQL sets. The setup
// (inserting the payouts) is not measured. make bench runs the same day
// (pgtest.NewBigDay) with the other benchmarks; this is for go test -bench.
func BenchmarkReconcileMillion(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	s := pgtest.New(b)
	start := time.Now()
	day, err := pgtest.NewBigDay(ctx, s.DB(), n)
	if err != nil {
		b.Fatal(err)
	}
	if err := pgtest.VacuumBigDay(ctx, s.DB()); err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d payouts and records in %s", n, time.Since(start).Round(time.Millisecond))
	b.ReportAllocs()
	b.ResetTimer()
	var compare, stored time.Duration
	for b.Loop() {
		began, compared := time.Now(), time.Time{}
		phases := store.WithReconPhases(ctx, func(phase string) {
			switch phase {
			case "compare":
				compared = time.Now()
				compare += compared.Sub(began)
			case "store":
				stored += time.Since(compared)
			}
		})
		run, err := s.Reconcile(phases, "sandbox", day.Day, day.Day, day.Day.Add(24*time.Hour), "list", "bench", day.Records, false)
		if err != nil {
			b.Fatal(err)
		}
		if run.Diffs != day.Diffs {
			b.Fatalf("%d diffs, want %d", run.Diffs, day.Diffs)
		}
	}
	took := b.Elapsed().Seconds() / float64(b.N)
	b.StopTimer()
	// The bare join's time swings by a quarter from run to run: its median
	// of three.
	var bares []float64
	for range 3 {
		start = time.Now()
		if _, err := pgtest.BareJoin(ctx, s.DB()); err != nil {
			b.Fatal(err)
		}
		bares = append(bares, time.Since(start).Seconds())
	}
	slices.Sort(bares)
	bare := bares[1]
	b.ReportMetric(float64(n)/took, "payouts/s")
	b.ReportMetric(compare.Seconds()/float64(b.N), "compare-s")
	b.ReportMetric(stored.Seconds()/float64(b.N), "store-s")
	b.ReportMetric(bare, "bare-join-s")
	b.ReportMetric(took/bare, "x-bare-join")
}
