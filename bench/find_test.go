package main

import (
	"context"
	"testing"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// Benchmark 6 measures each kind of identifier only while its seeded
// values find what the search box finds for them: an identifier its one
// payout, the others a list; and its CSV baseline runs under COPY only
// while the export of every payout takes no argument.
func TestFindSeedHasEveryKind(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	const n = 2000
	if err := seedFind(ctx, s.DB(), n); err != nil {
		t.Fatal(err)
	}
	var payouts, settled, webhooks int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE settled_at IS NOT NULL),
		(SELECT count(*) FROM webhook_events) FROM payouts`).Scan(&payouts, &settled, &webhooks); err != nil {
		t.Fatal(err)
	}
	if payouts != n || settled < n*9/10 || webhooks < n/3 {
		t.Errorf("%d payouts, %d settled, %d webhook events; want %d, most, a good share", payouts, settled, webhooks, n)
	}
	ps, err := probes(ctx, s.DB(), n)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range findKinds {
		for _, p := range ps[k.key][:min(20, len(ps[k.key]))] {
			if p.ref != "" {
				page, err := s.FindPayouts(ctx, store.PayoutQuery{Search: payout.Search{Text: p.text}, Limit: 2})
				if err != nil || len(page.Payouts) != 1 || page.Payouts[0].ReferenceID != p.ref {
					t.Errorf("%s %q: %d payouts (%v), want only %s", k.label, p.text, len(page.Payouts), err, p.ref)
				}
				continue
			}
			page, err := s.FindPayouts(ctx, store.PayoutQuery{Search: payout.ParseSearch(p.text), Limit: 50})
			if err != nil || len(page.Payouts) == 0 {
				t.Errorf("%s %q: no payouts listed (%v)", k.label, p.text, err)
			}
		}
	}
	if _, args := store.PayoutExportSQL(store.PayoutQuery{}); len(args) > 0 {
		t.Errorf("the export of every payout takes arguments %v; the bare COPY cannot", args)
	}
}
