package pgtest

import (
	"context"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// ReconFixture is a provider's business day with one difference of every
// kind: live payouts of the provider (and one of "xendit") in the store, and
// the provider's records of the day.
type ReconFixture struct {
	Day     time.Time
	Records []payout.ProviderRecord
	// Diffs are the differences reconciling the day must find, as
	// "kind:reference", sorted.
	Diffs []string
	// Totals are the day's totals per currency, by currency.
	Totals []store.ReconTotal
}

// NewReconFixture creates the fixture day's payouts in s, of provider
// "sandbox" but live (reconciliation reads livemode, not the provider's
// name; intake would make the sandbox's test payouts).
func NewReconFixture(t testing.TB, s *store.Store, day time.Time) ReconFixture {
	t.Helper()
	return NewReconFixtureOf(t, s, day, "sandbox")
}

// NewReconFixtureOf creates the fixture day's payouts of provider in s.
func NewReconFixtureOf(t testing.TB, s *store.Store, day time.Time, provider string) ReconFixture {
	t.Helper()
	ctx := context.Background()
	inr := func(minor int64) payout.Money { return payout.Money{Minor: minor, Currency: "INR"} }
	fee := func(v int64) *int64 { return &v }
	add := func(ref, provider string, amount int64, status payout.Status, fee *int64, at time.Time) {
		t.Helper()
		id, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: provider, ProviderPayoutID: "pp-" + ref,
			Amount: inr(amount), Status: status, CreatedAt: at,
			Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
		if err != nil {
			t.Fatal(err)
		}
		if fee != nil {
			s.DB().MustExec(`UPDATE payouts SET fee_minor = $2 WHERE id = $1`, id, *fee)
		}
	}
	noon := day.Add(12 * time.Hour)
	add("R1", provider, 100000, payout.Succeeded, fee(500), noon)                 // ties
	add("R2", provider, 200000, payout.Succeeded, fee(500), noon)                 // amount differs
	add("R3", provider, 300000, payout.Succeeded, fee(500), noon)                 // currency differs, matched by reference
	add("R4", provider, 400000, payout.Processing, nil, noon)                     // status differs
	add("R5", provider, 500000, payout.Succeeded, fee(500), noon)                 // fee differs
	add("R6", provider, 600000, payout.Succeeded, fee(500), noon)                 // missing at the provider
	add("R8", provider, 800000, payout.Succeeded, fee(500), day.Add(-time.Hour))  // the day before, but in this day's report
	add("R9", "xendit", 900000, payout.Succeeded, fee(500), noon)                 // another provider
	add("R10", provider, 1000, payout.Succeeded, fee(500), day.Add(25*time.Hour)) // the day after

	rec := func(ppid, ref string, m payout.Money, st payout.Status, f *int64) payout.ProviderRecord {
		return payout.ProviderRecord{ProviderPayoutID: ppid, ReferenceID: ref, Amount: m, Status: st, Fee: f}
	}
	return ReconFixture{
		Day: day,
		Records: []payout.ProviderRecord{
			rec("pp-R1", "R1", inr(100000), payout.Succeeded, fee(500)),
			rec("pp-R2", "R2", inr(200100), payout.Succeeded, fee(500)),
			rec("", "R3", payout.Money{Minor: 300000, Currency: "USD"}, payout.Succeeded, fee(500)),
			rec("pp-R4", "R4", inr(400000), payout.Succeeded, fee(500)),
			rec("pp-R5", "R5", inr(500000), payout.Succeeded, fee(700)),
			rec("pp-R7", "R7", inr(700000), payout.Succeeded, fee(500)), // missing in payops
			rec("pp-R8", "R8", inr(800000), payout.Succeeded, fee(500)),
		},
		Diffs: []string{"amount_mismatch:R2", "currency_mismatch:R3", "fee_mismatch:R4", "fee_mismatch:R5",
			"missing_at_provider:R6", "missing_in_payops:R7", "status_mismatch:R4"},
		// Ours: R1-R6 and R8 (matched though created the day before), all
		// INR. Theirs: six INR records and one USD. Fees count where the
		// provider reports one: not R6's, which it does not list.
		Totals: []store.ReconTotal{
			{Currency: "INR", OursCount: 7, OursSum: 100000 + 200000 + 300000 + 400000 + 500000 + 600000 + 800000, OursFees: 2500,
				TheirsCount: 6, TheirsSum: 100000 + 200100 + 400000 + 500000 + 700000 + 800000, TheirsFees: 3200},
			{Currency: "USD", TheirsCount: 1, TheirsSum: 300000, TheirsFees: 500},
		},
	}
}
