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

// BenchmarkIngestGroup is what one group of webhooks costs, taken in one
// group at a time (no concurrency, no HTTP): each a SUCCESS for a
// PROCESSING payout of its own (applied, posted, its event and audit entry
// written), in groups of 1, 4 and 16, with no outbound endpoint and with one
// subscribed to every event, in a database of this month's partitions and
// in one of sixty months' more (years of history: docs/SCALING.md, "Years
// of partitions"). ns/op is one group; ns/delivery divides it by
// the group's size, so the difference between sizes is the cost a group
// pays once (docs/SCALING.md, "What a group costs"). go test ./store/ -run
// '^$' -bench IngestGroup.
func BenchmarkIngestGroup(b *testing.B) {
	for _, months := range []int{0, 60} {
		for _, endpoints := range []int{0, 1} {
			for _, size := range []int{1, 4, 16} {
				b.Run(fmt.Sprintf("months=%d/endpoints=%d/size=%d", months, endpoints, size), func(b *testing.B) {
					benchIngestGroup(b, months, endpoints, size)
				})
			}
		}
	}
}

func benchIngestGroup(b *testing.B, months, endpoints, size int) {
	ctx := context.Background()
	s := storeWithMonths(b, months)
	for range endpoints {
		if _, err := s.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://hooks.example.com/"},
			store.Actor{Name: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	// Warm-up deliveries (2,000), then ANALYZE: the statements' plans are
	// made for tables with rows in them, as in a database in use (a plan
	// made for a small table scans it, and is kept while it grows).
	warm := 2000 / size
	n := (warm + b.N) * size
	inFlightPayouts(b, s, n)
	group := successGroups(b, s, size)
	for range warm {
		group()
	}
	if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		group()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/delivery")
}

// storeWithMonths opens a store on a new database with the months more of
// partitions, before this month's, made in every history table: years of
// history as PostgreSQL plans it, though the months are empty. Closed when
// tb ends.
func storeWithMonths(tb testing.TB, months int) *store.Store {
	tb.Helper()
	s, err := store.Open(pgtest.NewDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if months > 0 {
		if _, err := s.MakePartitions(context.Background(), time.Now().AddDate(0, -months, 0), months); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// inFlightPayouts makes n PROCESSING sandbox payouts, G-1 to G-n, in one
// statement.
func inFlightPayouts(tb testing.TB, s *store.Store, n int) {
	tb.Helper()
	if _, err := s.DB().Exec(`WITH b AS (INSERT INTO beneficiaries (name, account_number, ifsc)
			VALUES ('Bench', '123456789012', 'HDFC0001234') RETURNING id)
		INSERT INTO payouts (reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, status,
			submitted_at)
		SELECT 'G-' || g, 'sandbox', 'sbx_G-' || g, b.id, 125050, 'INR', 'PROCESSING', now()
		FROM b, generate_series(1, $1::int) g`, n); err != nil {
		tb.Fatal(err)
	}
}

// successGroups returns a function that takes in, as one group, the
// SUCCESS webhooks of the next size payouts of inFlightPayouts, from G-1
// on, and fails tb unless each is applied.
func successGroups(tb testing.TB, s *store.Store, size int) func() {
	next := 0
	return func() {
		tb.Helper()
		ds, evs := make([]store.Delivery, size), make([]store.WebhookEvent, size)
		for i := range ds {
			next++
			ref := fmt.Sprintf("G-%d", next)
			ds[i] = store.Delivery{Provider: "sandbox", Body: []byte(`{"status":"SUCCESS"}`),
				Headers: map[string]string{"Content-Type": "application/json"}}
			evs[i] = event(fmt.Sprintf("evt_%d", next), "sbx_"+ref, ref, payout.Succeeded, "UTR"+ref)
		}
		res, errs := s.IngestGroup(context.Background(), nil, ds, evs)
		for i, err := range errs {
			if err != nil {
				tb.Fatal(err)
			}
			if res[i].Outcome != store.OutcomeApplied {
				tb.Fatalf("delivery %d of a group: %s (%s), want applied", i, res[i].Outcome, res[i].Detail)
			}
		}
	}
}
