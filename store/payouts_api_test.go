package store_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// Providers restricts a list to one of a set of providers (an API token's
// scope), on top of every other filter; the drill provider's payouts are
// in it only when the set names it.
func TestFindPayoutsWithinProviders(t *testing.T) {
	f := newFindFixture(t)
	test := []string{"sandbox", "drill"}
	live := []string{"nxtbanking", "paywize", "razorpayx", "xendit"}
	tests := []struct {
		name string
		q    store.PayoutQuery
		want []string
	}{
		{"the test providers, drill payouts too", store.PayoutQuery{Providers: test},
			[]string{"F-6", "F-5", "F-2", "F-1"}},
		{"the real providers", store.PayoutQuery{Providers: live}, []string{"F-4", "F-3"}},
		{"the sandbox alone, no drill payouts", store.PayoutQuery{Providers: []string{"sandbox"}},
			[]string{"F-6", "F-2", "F-1"}},
		{"a provider inside the set", store.PayoutQuery{Providers: test, Provider: "drill"}, []string{"F-5"}},
		{"a provider outside the set", store.PayoutQuery{Providers: live, Provider: "sandbox"}, nil},
		{"with other filters", store.PayoutQuery{Providers: test, Statuses: []payout.Status{payout.Succeeded}},
			[]string{"F-5", "F-1"}},
		{"a lookup outside the set", store.PayoutQuery{Providers: live, UTR: "UTR0001"}, nil},
		{"a lookup inside the set", store.PayoutQuery{Providers: test, ProviderPayoutID: "pp_F-5"}, []string{"F-5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.refs(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			tt.q.Limit = 1
			if got := f.refs(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("a page at a time: %v, want %v", got, tt.want)
			}
			n, exact, err := f.s.CountPayouts(context.Background(), tt.q)
			if err != nil || !exact || n != len(tt.want) {
				t.Errorf("count %d (exact %v, %v), want %d", n, exact, err, len(tt.want))
			}
		})
	}
}

// Metadata comes with a list only when asked for: the dashboard's pages
// do not carry it.
func TestFindPayoutsWithMetadata(t *testing.T) {
	f := newFindFixture(t)
	f.exec(`UPDATE payouts SET metadata = '{"seller": {"id": "S-9"}}' WHERE reference_id = 'F-1'`)
	ctx := context.Background()
	page, err := f.s.FindPayouts(ctx, store.PayoutQuery{UTR: "UTR0001"})
	if err != nil || len(page.Payouts) != 1 || page.Payouts[0].Metadata != nil {
		t.Fatalf("without Metadata: %+v %v", page, err)
	}
	page, err = f.s.FindPayouts(ctx, store.PayoutQuery{UTR: "UTR0001", Metadata: true})
	if err != nil || len(page.Payouts) != 1 || string(page.Payouts[0].Metadata) != `{"seller": {"id": "S-9"}}` {
		t.Fatalf("with Metadata: %+v %v", page, err)
	}
	p, err := f.s.PayoutWithMetadata(ctx, "F-2", store.First(true))
	if err != nil || string(p.Metadata) != `{}` || p.ReferenceID != "F-2" {
		t.Fatalf("PayoutWithMetadata: %+v %v", p, err)
	}
	if _, err := f.s.PayoutWithMetadata(ctx, "NOPE", store.First(true)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown payout: %v", err)
	}
}

// The batched loaders answer, for each payout, what HoldsFor and LedgerFor
// answer for it alone, in the same order.
func TestHoldsAndLedgerOfPayouts(t *testing.T) {
	ctx := context.Background()
	f := newHoldFixture(t)
	twoHolds := f.intake("B-HELD", func(r *payout.Request) {
		r.AmountMinor = 30000000
		r.Beneficiary.TaxArtifact = payout.TaxUnderReview
	})
	hs := f.holds(twoHolds)
	// Released first, so the open one comes first although placed later.
	if _, err := f.s.ReleaseHold(ctx, hs[payout.ReasonReview].ID, f.comp1, "amount fine", holdPolicy, store.AnyShown); err != nil {
		t.Fatal(err)
	}
	queued := f.intake("B-QUEUED", nil)
	rejected := f.intake("B-REJECTED", func(r *payout.Request) {
		r.Beneficiary.IFSC = ""
		r.Beneficiary.TaxArtifact = payout.TaxMissing
	})
	beneficiaryHold := f.holds(rejected)[payout.ReasonBeneficiary].ID
	if _, err := f.s.RejectHold(ctx, beneficiaryHold, f.comp1, "no bank details", store.AnyShown); err != nil {
		t.Fatal(err)
	}
	reversed := newPayout(t, f.s, "B-REVERSED", payout.Processing)
	settled := newPayout(t, f.s, "B-SETTLED", payout.Processing)
	for _, step := range []struct {
		ref string
		obs payout.Observation
	}{
		{"B-REVERSED", payout.Observation{Source: payout.SourceWebhook, Status: payout.Succeeded,
			Fee: &payout.Money{Minor: 500, Currency: "INR"}}},
		{"B-SETTLED", payout.Observation{Source: payout.SourceWebhook, Status: payout.Succeeded}},
		{"B-REVERSED", payout.Observation{Source: payout.SourceWebhook, Status: payout.Reversed}},
	} {
		if _, err := f.s.ApplyObservation(ctx, step.ref, store.First(true), step.obs); err != nil {
			t.Fatal(err)
		}
	}
	ps := []store.Payout{settled, twoHolds, queued, rejected, reversed, {ID: 987654321, CreatedAt: time.Now()}}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	holds, err := f.s.HoldsOfPayouts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	ledger, err := f.s.LedgerOfPayouts(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		id := p.ID
		wantHolds, err := f.s.HoldsFor(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := holds[id]; !reflect.DeepEqual(got, wantHolds) {
			t.Errorf("holds of payout %d: got %+v, want %+v", id, got, wantHolds)
		}
		wantLedger, err := f.s.LedgerFor(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := ledger[id]; !reflect.DeepEqual(got, wantLedger) {
			t.Errorf("ledger of payout %d: got %+v, want %+v", id, got, wantLedger)
		}
	}
	// What the fixture should have made, so the comparison above compares
	// something.
	if got := holds[twoHolds.ID]; len(got) != 2 || got[0].State != "open" || got[1].State != "released" {
		t.Errorf("the held payout's holds: %+v", got)
	}
	if len(holds[rejected.ID]) != 2 || len(ledger[reversed.ID]) != 8 || len(ledger[settled.ID]) != 2 {
		t.Errorf("holds %d, ledger %d and %d entries", len(holds[rejected.ID]), len(ledger[reversed.ID]),
			len(ledger[settled.ID]))
	}
	for _, id := range []int64{queued.ID, 987654321} {
		if _, ok := holds[id]; ok {
			t.Errorf("payout %d without holds has a key", id)
		}
		if _, ok := ledger[id]; ok {
			t.Errorf("payout %d without postings has a key", id)
		}
	}
	for name, load := range map[string]func() (int, error){
		"holds":  func() (int, error) { m, err := f.s.HoldsOfPayouts(ctx, nil); return len(m), err },
		"ledger": func() (int, error) { m, err := f.s.LedgerOfPayouts(ctx, nil); return len(m), err },
	} {
		if n, err := load(); n != 0 || err != nil {
			t.Errorf("%s of no payouts: %d, %v", name, n, err)
		}
	}
}
