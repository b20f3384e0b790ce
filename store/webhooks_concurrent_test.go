package store_test

import (
	"context"
	"sync"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// The same event delivered many times at once is applied once: the first
// delivery to commit applies it, every other is a duplicate linked to the
// payout (those that ran beside the first read its delivery after it
// committed), and the ledger holds one posting.
func TestConcurrentDuplicatesApplyOnce(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "CD1", payout.Processing) // provider payout id sbx_CD1
	const n = 12
	outcomes := make([]store.Ingested, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			outcomes[i], errs[i] = s.IngestWebhook(ctx, delivery(), event("cd-e1", "sbx_CD1", "CD1", payout.Succeeded, "UTRCD1"))
		})
	}
	close(start)
	wg.Wait()
	applied := 0
	for i, res := range outcomes {
		if errs[i] != nil {
			t.Fatalf("delivery %d: %v", i, errs[i])
		}
		switch res.Outcome {
		case store.OutcomeApplied:
			applied++
		case store.OutcomeDuplicate:
		default:
			t.Errorf("delivery %d: %s (%s)", i, res.Outcome, res.Detail)
		}
	}
	if applied != 1 {
		t.Errorf("%d deliveries applied the event, want 1", applied)
	}
	p, err := s.PayoutByRef(ctx, "CD1", store.First(true))
	if err != nil || p.Status != payout.Succeeded || p.UTR != "UTRCD1" {
		t.Fatalf("payout %+v %v", p, err)
	}
	ds, err := s.DeliveriesFor(ctx, p.ID)
	if err != nil || len(ds) != n {
		t.Errorf("%d deliveries linked to the payout, want %d (%v)", len(ds), n, err)
	}
	ledger, err := s.LedgerFor(ctx, p)
	if err != nil || len(ledger) != 2 {
		t.Errorf("ledger %+v %v, want one posting of two entries", ledger, err)
	}
	events, err := s.EventsFor(ctx, p.ID)
	if err != nil || len(events) != 1 {
		t.Errorf("%d payout events, want 1 (%v)", len(events), err)
	}
}
