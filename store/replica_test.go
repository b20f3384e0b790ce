package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// With a read replica, the payout list and search read it, and the payout
// page's lookup the primary: the replica here is another, empty database, so
// what each finds says where it read.
func TestListsAndSearchReadTheReplica(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "REPL-1", payout.Processing)
	if _, err := s.IngestWebhook(ctx, delivery(), event("r1", "", "REPL-1", payout.Succeeded, "UTR1")); err != nil {
		t.Fatal(err)
	}
	if ds, err := s.Deliveries(ctx, store.DeliveryFilter{Limit: 10}); err != nil || len(ds) != 1 {
		t.Fatalf("without a replica the webhooks page finds %d deliveries, %v; want 1", len(ds), err)
	}
	page, err := s.FindPayouts(ctx, store.PayoutQuery{Limit: 10})
	if err != nil || len(page.Payouts) != 1 {
		t.Fatalf("without a replica the list finds %+v, %v; want REPL-1", page.Payouts, err)
	}
	if err := s.UseReplica(pgtest.NewDSN(t)); err != nil {
		t.Fatal(err)
	}
	if page, err = s.FindPayouts(ctx, store.PayoutQuery{Limit: 10}); err != nil || len(page.Payouts) != 0 {
		t.Fatalf("with the (empty) replica the list finds %+v, %v; want none: it must read the replica", page.Payouts, err)
	}
	if _, err := s.PayoutByRef(ctx, "REPL-1", store.First(true)); err != nil {
		t.Fatalf("the payout page reads the primary: %v", err)
	}
	// A UTR in the payout page's address opens its payout from the
	// primary; the search's lookup reads the replica, as the list.
	if refs, err := s.IdentifierRefsPrimary(ctx, "UTR1", 2, false); err != nil || len(refs) != 1 || refs[0] != "REPL-1" {
		t.Errorf("the payout page's lookup of a UTR finds %v, %v; want REPL-1 from the primary", refs, err)
	}
	if refs, err := s.IdentifierRefs(ctx, "UTR1", 2, false); err != nil || len(refs) != 0 {
		t.Errorf("the search's lookup of a UTR finds %v, %v; want none: it reads the replica", refs, err)
	}
	// A count and an export asked of the primary read it, as the list does.
	for _, primary := range []bool{false, true} {
		want := 0
		if primary {
			want = 1
		}
		q := store.PayoutQuery{Limit: 10, Primary: primary}
		if n, _, err := s.CountPayouts(ctx, q); err != nil || n != want {
			t.Errorf("count, primary %v: %d, %v; want %d", primary, n, err, want)
		}
		rows := 0
		if err := s.EachPayoutExport(ctx, q, func([]sql.RawBytes) error { rows++; return nil }); err != nil || rows != want {
			t.Errorf("export, primary %v: %d rows, %v; want %d", primary, rows, err, want)
		}
	}
	if ds, err := s.Deliveries(ctx, store.DeliveryFilter{Limit: 10}); err != nil || len(ds) != 0 {
		t.Errorf("with the (empty) replica the webhooks page finds %d deliveries, %v; want none", len(ds), err)
	}
	if counts, err := s.DeliveryOutcomes(ctx, time.Now().Add(-time.Hour)); err != nil || len(counts) != 0 {
		t.Errorf("with the (empty) replica the webhooks page counts %+v, %v; want none", counts, err)
	}
}
