package store_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func TestReconcileFindsEveryKindOfDiff(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	inr := func(minor int64) payout.Money { return payout.Money{Minor: minor, Currency: "INR"} }
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
	fee := func(v int64) *int64 { return &v }
	noon := day.Add(12 * time.Hour)
	add("R1", "sandbox", 100000, payout.Succeeded, fee(500), noon)                 // ties
	add("R2", "sandbox", 200000, payout.Succeeded, fee(500), noon)                 // amount differs
	add("R3", "sandbox", 300000, payout.Succeeded, fee(500), noon)                 // currency differs, matched by reference
	add("R4", "sandbox", 400000, payout.Processing, nil, noon)                     // status differs
	add("R5", "sandbox", 500000, payout.Succeeded, fee(500), noon)                 // fee differs
	add("R6", "sandbox", 600000, payout.Succeeded, fee(500), noon)                 // missing at the provider
	add("R8", "sandbox", 800000, payout.Succeeded, fee(500), day.Add(-time.Hour))  // yesterday, but in today's report
	add("R9", "xendit", 900000, payout.Succeeded, fee(500), noon)                  // another provider
	add("R10", "sandbox", 1000, payout.Succeeded, fee(500), day.Add(25*time.Hour)) // tomorrow

	rec := func(ppid, ref string, m payout.Money, st payout.Status, f *int64) payout.ProviderRecord {
		return payout.ProviderRecord{ProviderPayoutID: ppid, ReferenceID: ref, Amount: m, Status: st, Fee: f}
	}
	records := []payout.ProviderRecord{
		rec("pp-R1", "R1", inr(100000), payout.Succeeded, fee(500)),
		rec("pp-R2", "R2", inr(200100), payout.Succeeded, fee(500)),
		rec("", "R3", payout.Money{Minor: 300000, Currency: "USD"}, payout.Succeeded, fee(500)),
		rec("pp-R4", "R4", inr(400000), payout.Succeeded, fee(500)),
		rec("pp-R5", "R5", inr(500000), payout.Succeeded, fee(700)),
		rec("pp-R7", "R7", inr(700000), payout.Succeeded, fee(500)),
		rec("pp-R8", "R8", inr(800000), payout.Succeeded, fee(500)),
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records)
	if err != nil {
		t.Fatal(err)
	}
	if run.Version != 1 || run.Ties || run.Diffs != 7 || run.OpenDiffs != 7 {
		t.Fatalf("run %+v", run)
	}
	diffs, err := s.ReconDiffs(ctx, run.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.Kind+":"+d.ReferenceID)
	}
	sort.Strings(got)
	want := []string{"amount_mismatch:R2", "currency_mismatch:R3", "fee_mismatch:R4", "fee_mismatch:R5",
		"missing_at_provider:R6", "missing_in_payops:R7", "status_mismatch:R4"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("diffs\n got %v\nwant %v", got, want)
	}
	for _, d := range diffs {
		switch d.Kind {
		case "amount_mismatch":
			if *d.OursAmountMinor != 200000 || *d.TheirsAmountMinor != 200100 {
				t.Errorf("amount diff %+v", d)
			}
		case "status_mismatch":
			if *d.OursStatus != "PROCESSING" || *d.TheirsStatus != "SUCCEEDED" {
				t.Errorf("status diff %+v", d)
			}
		case "missing_in_payops":
			if d.PayoutID != nil || d.ProviderPayoutID != "pp-R7" {
				t.Errorf("missing diff %+v", d)
			}
		}
	}
	totals, err := s.ReconTotals(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Ours: R1-R6 and R8 (matched though created the day before), all INR.
	// Theirs: six INR records and one USD.
	wantTotals := []store.ReconTotal{
		{Currency: "INR", OursCount: 7, OursSum: 100000 + 200000 + 300000 + 400000 + 500000 + 600000 + 800000, OursFees: 3000,
			TheirsCount: 6, TheirsSum: 100000 + 200100 + 400000 + 500000 + 700000 + 800000, TheirsFees: 3200},
		{Currency: "USD", TheirsCount: 1, TheirsSum: 300000, TheirsFees: 500},
	}
	if len(totals) != 2 || totals[0] != wantTotals[0] || totals[1] != wantTotals[1] {
		t.Fatalf("totals\n got %+v\nwant %+v", totals, wantTotals)
	}

	// Re-running the day makes version 2; version 1 stays as it was.
	run2, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records[:1])
	if err != nil || run2.Version != 2 {
		t.Fatalf("second version: %+v %v", run2, err)
	}
	if again, _ := s.ReconDiffs(ctx, run.ID, ""); len(again) != 7 {
		t.Fatalf("version 1 changed: %d diffs", len(again))
	}
	if amounts, _ := s.ReconDiffs(ctx, run.ID, "amount_mismatch"); len(amounts) != 1 {
		t.Fatalf("filter by kind: %d", len(amounts))
	}
}

func TestReconcileADayThatTiesOut(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "T1", Provider: "sandbox", ProviderPayoutID: "pp-T1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "list", "scheduler", []payout.ProviderRecord{
		{ProviderPayoutID: "pp-T1", ReferenceID: "T1", Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded}})
	if err != nil || !run.Ties || run.Diffs != 0 {
		t.Fatalf("run %+v %v", run, err)
	}
}

func TestSignOffNeedsEveryDiffClosed(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	fin := store.Actor{Name: "finance@example.com"}
	records := []payout.ProviderRecord{
		{ProviderPayoutID: "pp-A", ReferenceID: "A", Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded},
		{ProviderPayoutID: "pp-B", ReferenceID: "B", Amount: payout.Money{Minor: 200, Currency: "INR"}, Status: payout.Succeeded},
	}
	old, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records)
	if err != nil || run.OpenDiffs != 2 {
		t.Fatalf("run %+v %v", run, err)
	}
	if _, err := s.SignOff(ctx, run.ID, fin); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "2 differences are still open") {
		t.Fatalf("sign off with open diffs: %v", err)
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, "")
	if d, err := s.ResolveDiff(ctx, diffs[0].ID, fin, "test payout at the provider, not ours", true); err != nil || d.Resolution != "accepted" {
		t.Fatalf("accept: %+v %v", d, err)
	}
	if _, err := s.ResolveDiff(ctx, diffs[0].ID, fin, "again", false); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("resolve twice: %v", err)
	}
	if _, err := s.ResolveDiff(ctx, diffs[1].ID, fin, "booked by hand in the ledger", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, old.ID, fin); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "not the latest") {
		t.Fatalf("sign off an old version: %v", err)
	}
	signed, err := s.SignOff(ctx, run.ID, fin)
	if err != nil || signed.SignedOffBy == nil || *signed.SignedOffBy != fin.Name || signed.SignedOffAt == nil {
		t.Fatalf("sign off: %+v %v", signed, err)
	}
	if _, err := s.SignOff(ctx, run.ID, fin); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("second sign-off: %v", err)
	}
	oldDiffs, _ := s.ReconDiffs(ctx, old.ID, "")
	if _, err := s.ResolveDiff(ctx, oldDiffs[0].ID, fin, "late note", false); err != nil {
		t.Fatalf("an old, unsigned version is still workable: %v", err)
	}
}
