package store_test

import (
	"context"
	"fmt"
	"testing"

	"payops/store"
)

// BenchmarkPayoutHistory reads what a payout's page shows of its history
// (events, audit entries, webhook deliveries, ledger, gate evaluations), one
// payout after another, with this month's partitions and with sixty months
// more made in every history table. These tables are partitioned by time,
// not by payout: a read by payout id asks every month kept, so what it costs
// can grow with the history kept rather than with the payout's own.
func BenchmarkPayoutHistory(b *testing.B) {
	for _, months := range []int{0, 60} {
		b.Run(fmt.Sprintf("months=%d", months), func(b *testing.B) {
			ctx := context.Background()
			s := storeWithMonths(b, months)
			const n = 400
			inFlightPayouts(b, s, n)
			group := successGroups(b, s, 4)
			for range n / 4 {
				group()
			}
			if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			ps := make([]store.Payout, n)
			for i := range ps {
				var err error
				if ps[i], err = s.PayoutByRef(ctx, fmt.Sprintf("G-%d", i+1), store.Exactly(true)); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				p := ps[i%n]
				events, err := s.EventsFor(ctx, p.ID)
				if err != nil || len(events) == 0 {
					b.Fatalf("events of %s: %d, %v", p.ReferenceID, len(events), err)
				}
				if _, err := s.PayoutAudit(ctx, p); err != nil {
					b.Fatal(err)
				}
				if ds, err := s.DeliveriesFor(ctx, p.ID); err != nil || len(ds) != 1 {
					b.Fatalf("deliveries of %s: %d, %v", p.ReferenceID, len(ds), err)
				}
				if l, err := s.LedgerFor(ctx, p); err != nil || len(l) == 0 {
					b.Fatalf("ledger of %s: %d, %v", p.ReferenceID, len(l), err)
				}
				if _, err := s.GateEvaluationsFor(ctx, p.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
