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
	fx := pgtest.NewReconFixture(t, s, day)
	records := fx.Records
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records, false)
	if err != nil {
		t.Fatal(err)
	}
	if run.Version != 1 || run.Ties || run.Diffs != 7 || run.OpenDiffs != 7 {
		t.Fatalf("run %+v", run)
	}
	diffs, err := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.Kind+":"+d.ReferenceID)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(fx.Diffs, " ") {
		t.Fatalf("diffs\n got %v\nwant %v", got, fx.Diffs)
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
	if len(totals) != 2 || totals[0] != fx.Totals[0] || totals[1] != fx.Totals[1] {
		t.Fatalf("totals\n got %+v\nwant %+v", totals, fx.Totals)
	}

	// Re-running the day makes version 2; version 1 stays as it was.
	run2, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records[:1], false)
	if err != nil || run2.Version != 2 {
		t.Fatalf("second version: %+v %v", run2, err)
	}
	if again, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{}); len(again) != 7 {
		t.Fatalf("version 1 changed: %d diffs", len(again))
	}
	if amounts, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{Kind: "amount_mismatch"}); len(amounts) != 1 {
		t.Fatalf("filter by kind: %d", len(amounts))
	}
}

func TestReconcileADayThatTiesOut(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	id, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "T1", Provider: "sandbox", ProviderPayoutID: "pp-T1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
	if err != nil {
		t.Fatal(err)
	}
	// payops knows the fee; the provider's list does not say it: fees are
	// not compared, in the differences nor in the totals.
	s.DB().MustExec(`UPDATE payouts SET fee_minor = 500 WHERE id = $1`, id)
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "list", "scheduler", []payout.ProviderRecord{
		{ProviderPayoutID: "pp-T1", ReferenceID: "T1", Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded}}, false)
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
	old, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records, false)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records, false)
	if err != nil || run.OpenDiffs != 2 {
		t.Fatalf("run %+v %v", run, err)
	}
	if _, err := s.SignOff(ctx, run.ID, fin); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "2 differences are still open") {
		t.Fatalf("sign off with open diffs: %v", err)
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
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
	oldDiffs, _ := s.ReconDiffs(ctx, old.ID, store.ReconDiffFilter{})
	if _, err := s.ResolveDiff(ctx, oldDiffs[0].ID, fin, "late note", false); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "work on the latest") {
		t.Fatalf("resolving on an earlier version: %v", err)
	}
}

// A day run again keeps finance's work on the differences that did not
// change (carried, saying from which version); one that changed is open
// again. A sign-off waits for a run of the same day holding it (the day's
// lock), instead of signing a version the run is about to replace.
func TestARunAgainCarriesResolutionsAndSignOffWaitsForARun(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fin := store.Actor{Name: "finance@example.com"}
	records := []payout.ProviderRecord{
		{ProviderPayoutID: "pp-C", ReferenceID: "C", Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded},
		{ProviderPayoutID: "pp-D", ReferenceID: "D", Amount: payout.Money{Minor: 200, Currency: "INR"}, Status: payout.Succeeded},
	}
	run1, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records, false)
	if err != nil || run1.OpenDiffs != 2 {
		t.Fatalf("run %+v %v", run1, err)
	}
	diffs, _ := s.ReconDiffs(ctx, run1.ID, store.ReconDiffFilter{})
	for _, d := range diffs {
		if _, err := s.ResolveDiff(ctx, d.ID, fin, "provider's test transfer "+d.ReferenceID, true); err != nil {
			t.Fatal(err)
		}
	}
	records[1].Amount.Minor = 250 // the corrected report changes D
	run2, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records, false)
	if err != nil || run2.Version != 2 || run2.OpenDiffs != 1 {
		t.Fatalf("run again = %+v, %v; want version 2 with D's changed difference open", run2, err)
	}
	diffs, _ = s.ReconDiffs(ctx, run2.ID, store.ReconDiffFilter{})
	for _, d := range diffs {
		switch d.ReferenceID {
		case "C":
			if d.Resolution != "accepted" || d.ResolvedBy == nil || *d.ResolvedBy != fin.Name ||
				d.Note != "provider's test transfer C (carried from version 1)" {
				t.Errorf("C in version 2 = %+v, want accepted, carried from version 1", d)
			}
		case "D":
			if d.Resolution != "open" {
				t.Errorf("D in version 2 = %+v, want open: its amount changed", d)
			}
		}
	}
	// Run a third time: C's note still names the version it was made on.
	run3, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", fin.Name, records, false)
	if err != nil || run3.Version != 3 {
		t.Fatalf("run a third time = %+v, %v", run3, err)
	}
	diffs, _ = s.ReconDiffs(ctx, run3.ID, store.ReconDiffFilter{})
	for _, d := range diffs {
		if d.ReferenceID == "C" && d.Note != "provider's test transfer C (carried from version 1)" {
			t.Errorf("C in version 3: note %q, want it carried from version 1, once", d.Note)
		}
	}

	// Two identical differences (a record reported twice), one accepted:
	// run again, one comes accepted, the other stays open.
	twice := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	dup := payout.ProviderRecord{ProviderPayoutID: "pp-DUP", ReferenceID: "DUP",
		Amount: payout.Money{Minor: 100, Currency: "INR"}, Status: payout.Succeeded}
	first, err := s.Reconcile(ctx, "sandbox", twice, twice, twice.Add(24*time.Hour), "upload", fin.Name,
		[]payout.ProviderRecord{dup, dup}, false)
	if err != nil || first.OpenDiffs != 2 {
		t.Fatalf("run with a record twice: %+v %v", first, err)
	}
	diffs, _ = s.ReconDiffs(ctx, first.ID, store.ReconDiffFilter{})
	if _, err := s.ResolveDiff(ctx, diffs[0].ID, fin, "the provider's own test transfer", true); err != nil {
		t.Fatal(err)
	}
	second, err := s.Reconcile(ctx, "sandbox", twice, twice, twice.Add(24*time.Hour), "upload", fin.Name,
		[]payout.ProviderRecord{dup, dup}, false)
	if err != nil || second.OpenDiffs != 1 {
		t.Errorf("run again: %+v %v; want one carried, one open", second, err)
	}

	// A run holds the day: a sign-off waits for it.
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('payops.recon.' || $1 || $2::date))`,
		"sandbox", day); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := s.SignOff(short, run2.ID, fin); err == nil || errors.Is(err, store.ErrRefused) {
		t.Errorf("sign-off while a run holds the day: %v, want it to wait (and time out here)", err)
	}
}

// A provider reporting one payout twice (a double payment) shows: the
// payout matches one record, the other is missing in payops, and the
// provider's count and sum exceed ours.
func TestReconcileAPayoutReportedTwice(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	inr := payout.Money{Minor: 5000, Currency: "INR"}
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "D1", Provider: "sandbox", ProviderPayoutID: "pp-D1",
		Amount: inr, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	twice := payout.ProviderRecord{ProviderPayoutID: "pp-D1", ReferenceID: "D1", Amount: inr, Status: payout.Succeeded}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "test", []payout.ProviderRecord{twice, twice}, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if len(diffs) != 1 || diffs[0].Kind != "missing_in_payops" || diffs[0].ReferenceID != "D1" {
		t.Fatalf("diffs %+v", diffs)
	}
	totals, _ := s.ReconTotals(ctx, run.ID)
	if len(totals) != 1 || totals[0].OursCount != 1 || totals[0].TheirsCount != 2 || totals[0].TheirsSum != 10000 || run.Ties {
		t.Fatalf("totals %+v, ties %v", totals, run.Ties)
	}
}

// Runs from before migration 00014 hold their records as the JSON lines
// PostgreSQL's json_build_array wrote, uncompressed: they read the same.
func TestRecordsMigratedByPostgreSQLRead(t *testing.T) {
	s := pgtest.New(t)
	var data []byte
	err := s.DB().GetContext(context.Background(), &data, `SELECT convert_to(string_agg(json_build_array(ppid, ref, amount,
			currency, status, fee, settled)::text, E'\n' ORDER BY n), 'UTF8')
		FROM (VALUES (1, 'pp-1', 'R1', 100000::bigint, 'INR'::char(3), 'SUCCEEDED', 500::bigint, '2026-11-20 10:30:00+00'::timestamptz),
		             (2, '', 'R"2', 5::bigint, 'USD'::char(3), 'FAILED', NULL, NULL)) v(n, ppid, ref, amount, currency, status, fee, settled)`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.UnpackRecords(data)
	if err != nil {
		t.Fatal(err)
	}
	fee, settled := int64(500), time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	if len(got) != 2 || got[0].ProviderPayoutID != "pp-1" || *got[0].Fee != fee || !got[0].SettledAt.Equal(settled) ||
		got[1].ReferenceID != `R"2` || got[1].Fee != nil || got[1].SettledAt != nil || got[1].Amount.Currency != "USD" {
		t.Fatalf("got %+v", got)
	}
}

// Leftover records match by reference too: a payout of another day with
// no provider id yet, and one of the day whose id the provider does not
// repeat. A payout of another day no record names stays out of our side.
func TestReconcileMatchesLeftoversByReference(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	inr := payout.Money{Minor: 5000, Currency: "INR"}
	add := func(ref, ppid string, at time.Time) {
		t.Helper()
		if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox", ProviderPayoutID: ppid,
			Amount: inr, Status: payout.Succeeded, CreatedAt: at,
			Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
			t.Fatal(err)
		}
	}
	add("L1", "", day.Add(-2*time.Hour))      // the day before, never told its provider id
	add("L2", "pp-L2", day.Add(3*time.Hour))  // the day's, the record names no id
	add("L3", "pp-L3", day.Add(-3*time.Hour)) // the day before, no record: not ours today
	add("L4", "pp-L4", day.Add(30*time.Hour)) // the day after, named by id
	records := []payout.ProviderRecord{
		{ReferenceID: "L1", Amount: inr, Status: payout.Succeeded},
		{ReferenceID: "L2", Amount: inr, Status: payout.Succeeded},
		{ProviderPayoutID: "pp-L4", ReferenceID: "L4", Amount: inr, Status: payout.Succeeded},
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "test", records, false)
	if err != nil {
		t.Fatal(err)
	}
	if diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{}); len(diffs) != 0 || !run.Ties {
		t.Fatalf("diffs %+v, ties %v", diffs, run.Ties)
	}
	totals, _ := s.ReconTotals(ctx, run.ID)
	if len(totals) != 1 || totals[0].OursCount != 3 || totals[0].TheirsCount != 3 {
		t.Fatalf("totals %+v", totals)
	}
	if got, file, err := s.LatestUpload(ctx, "sandbox", day); err != nil || len(got) != 3 || got[2].ProviderPayoutID != "pp-L4" ||
		file != nil {
		t.Fatalf("records kept: %+v, file %+v, %v", got, file, err)
	}
}

// A record under our reference but with another provider payout id is
// another payout at the provider (created again there): it is not paired
// with ours, of the day or of another, but shown as one payops does not
// have — pairing it would hide a payout paid twice.
func TestReconcileDoesNotPairAnotherProviderIDByReference(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	inr := payout.Money{Minor: 5000, Currency: "INR"}
	for _, p := range []struct {
		ref, ppid string
		at        time.Time
	}{{"DUP-1", "pp-B1", day.Add(2 * time.Hour)}, {"DUP-2", "pp-B2", day.Add(-20 * time.Hour)}} {
		if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: p.ref, Provider: "sandbox", ProviderPayoutID: p.ppid,
			Amount: inr, Status: payout.Succeeded, CreatedAt: p.at,
			Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
			t.Fatal(err)
		}
	}
	// The provider lists, under each reference, a payout of another id:
	// DUP-1's own (pp-B1) is not on this day's list, DUP-2 is the day
	// before's.
	records := []payout.ProviderRecord{
		{ProviderPayoutID: "pp-A1", ReferenceID: "DUP-1", Amount: inr, Status: payout.Succeeded},
		{ProviderPayoutID: "pp-A2", ReferenceID: "DUP-2", Amount: inr, Status: payout.Succeeded},
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "test", records, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	var got []string
	for _, d := range diffs {
		got = append(got, d.Kind+":"+d.ReferenceID+":"+d.ProviderPayoutID)
	}
	sort.Strings(got)
	want := []string{"missing_at_provider:DUP-1:pp-B1", "missing_in_payops:DUP-1:pp-A1", "missing_in_payops:DUP-2:pp-A2"}
	if strings.Join(got, " ") != strings.Join(want, " ") || run.Ties {
		t.Fatalf("diffs %v, want %v (ties %v)", got, want, run.Ties)
	}
}

// A settlement report saying fee 0.00 for payouts with no fee recorded
// agrees with payops: no fee differences, and the day ties. (It made a fee
// difference of each while the totals said the fees agreed.)
func TestReconcileZeroFeeAgreesWithNoFee(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	report := "provider_payout_id,reference_id,amount,currency,status,fee,settled_at\n"
	for i, ref := range []string{"Z1", "Z2", "Z3"} {
		amount := payout.Money{Minor: int64(1000 * (i + 1)), Currency: "INR"}
		if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox",
			ProviderPayoutID: "pp-" + ref, Amount: amount, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
			Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
			t.Fatal(err)
		}
		report += "pp-" + ref + "," + ref + "," + amount.Decimal() + ",INR,SUCCEEDED,0.00,\n"
	}
	records, err := payout.ParseSettlement(strings.NewReader(report), 10)
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records, false)
	if err != nil {
		t.Fatal(err)
	}
	totals, _ := s.ReconTotals(ctx, run.ID)
	for _, tot := range totals {
		if !tot.Ties() {
			t.Errorf("totals %+v do not tie", tot)
		}
	}
	diffs, _ := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	for _, d := range diffs {
		t.Errorf("%s of %s: ours %v, theirs %v", d.Kind, d.ReferenceID, feeText(d.OursFeeMinor), feeText(d.TheirsFeeMinor))
	}
	if !run.Ties {
		t.Errorf("the day does not tie: %d differences", run.Diffs)
	}
}

func feeText(minor *int64) string {
	if minor == nil {
		return "none"
	}
	return payout.Money{Minor: *minor, Currency: "INR"}.Decimal()
}

// Test payouts (livemode false) are never reconciled: a day's run reads
// live payouts only, so a test payout is in none of its payouts, totals or
// differences, whether the provider's records name it or not. What decides
// is the payout's livemode, not its provider's name.
func TestTestPayoutsAreNeverReconciled(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	at := day.Add(10 * time.Hour)
	add := func(ref string, minor int64, test bool) int64 {
		t.Helper()
		id, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "nxtbanking",
			ProviderPayoutID: "pp-" + ref, Amount: payout.Money{Minor: minor, Currency: "INR"}, Mode: "IMPS",
			Status: payout.Succeeded, Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012",
				IFSC: "HDFC0001234"}, CreatedAt: at, Test: test})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	add("LIVE-1", 100000, false)
	testIDs := []int64{add("TEST-1", 700000, true), add("TEST-2", 900000, true)}
	record := func(ref string, minor int64) payout.ProviderRecord {
		return payout.ProviderRecord{ProviderPayoutID: "pp-" + ref, ReferenceID: ref,
			Amount: payout.Money{Minor: minor, Currency: "INR"}, Status: payout.Succeeded}
	}

	// The provider lists the live payout only: the day ties, and TEST-2
	// (in payops, not at the provider) is no difference.
	run, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "upload", "finance@example.com",
		[]payout.ProviderRecord{record("LIVE-1", 100000)}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Ties || run.Diffs != 0 {
		t.Errorf("live payout listed: run %+v, want it to tie", run)
	}
	totals, err := s.ReconTotals(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := store.ReconTotal{Currency: "INR", OursCount: 1, OursSum: 100000, TheirsCount: 1, TheirsSum: 100000}
	if len(totals) != 1 || totals[0] != want {
		t.Errorf("totals %+v, want only the live payout %+v", totals, want)
	}

	// A record naming a test payout (by provider id and reference) matches
	// nothing: it is missing in payops, and the test payout is on no side.
	run, err = s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "upload", "finance@example.com",
		[]payout.ProviderRecord{record("LIVE-1", 100000), record("TEST-1", 700000)}, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || diffs[0].Kind != "missing_in_payops" || diffs[0].PayoutID != nil {
		t.Errorf("diffs %+v, want one missing_in_payops without a payout", diffs)
	}
	for _, d := range diffs {
		if d.PayoutID != nil && (*d.PayoutID == testIDs[0] || *d.PayoutID == testIDs[1]) {
			t.Errorf("a test payout in the run's differences: %+v", d)
		}
	}
	totals, err = s.ReconTotals(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	want = store.ReconTotal{Currency: "INR", OursCount: 1, OursSum: 100000, TheirsCount: 2, TheirsSum: 800000}
	if len(totals) != 1 || totals[0] != want {
		t.Errorf("totals %+v, want ours the live payout only %+v", totals, want)
	}
}

// A day's run takes the payouts sent that day, whenever they were created:
// one created two days before (held, released today) that the provider
// never reported is missing at the provider today; one created today but
// sent tomorrow is not today's.
func TestReconcileTakesThePayoutsSentThatDay(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, p := range []struct {
		ref           string
		created, sent time.Time
	}{
		{"HELD-EARLIER", day.Add(-47 * time.Hour), day.Add(10 * time.Hour)},
		{"SENT-TOMORROW", day.Add(23*time.Hour + 50*time.Minute), day.Add(24*time.Hour + 5*time.Minute)},
		{"TODAY", day.Add(9 * time.Hour), day.Add(9 * time.Hour)},
	} {
		if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: p.ref, Provider: "nxtbanking",
			ProviderPayoutID: "pp-" + p.ref, Amount: payout.Money{Minor: 50000, Currency: "INR"}, Status: payout.Succeeded,
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
			CreatedAt:   p.created}); err != nil {
			t.Fatal(err)
		}
		s.DB().MustExecContext(ctx, `UPDATE payouts SET submitted_at = $2 WHERE reference_id = $1`, p.ref, p.sent)
	}
	records := []payout.ProviderRecord{{ProviderPayoutID: "pp-TODAY", ReferenceID: "TODAY",
		Amount: payout.Money{Minor: 50000, Currency: "INR"}, Status: payout.Succeeded}}
	run, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "upload", "finance@example.com", records, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := s.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range diffs {
		got = append(got, d.Kind+":"+d.ReferenceID)
	}
	if strings.Join(got, " ") != "missing_at_provider:HELD-EARLIER" {
		t.Errorf("diffs %v, want only HELD-EARLIER missing at the provider", got)
	}
	totals, err := s.ReconTotals(ctx, run.ID)
	if err != nil || len(totals) != 1 || totals[0].OursCount != 2 {
		t.Errorf("totals %+v %v, want INR with our two payouts sent that day", totals, err)
	}
}

// A version is signed off only as long as the day's payouts are as it saw
// them: one reversed after the run refuses the sign-off, naming it; run
// again, the new version is signed.
// A version signed long after its run, once a month of payout events since
// the run is archived: the events cannot say what moved, so any change to a
// payout of the day since the run refuses the sign-off (a UTR learned
// included); with the events kept, a UTR alone does not.
func TestSignOffAfterEventsWereArchivedCountsAnyChange(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if _, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "AR-1", Provider: "nxtbanking", ProviderPayoutID: "pp-AR-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}}); err != nil {
		t.Fatal(err)
	}
	records := []payout.ProviderRecord{{ProviderPayoutID: "pp-AR-1", ReferenceID: "AR-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded}}
	run, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler", records, false)
	if err != nil || !run.Ties {
		t.Fatalf("run %+v %v", run, err)
	}
	time.Sleep(2100 * time.Millisecond) // past the margin a change just before a run counts in
	if _, err := s.ApplyObservation(ctx, "AR-1", store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "SUCCESS",
		Status: payout.Succeeded, UTR: "UTR123"}); err != nil {
		t.Fatal(err)
	}
	fin := store.Actor{Name: "finance@example.com"}
	s.DB().MustExec(`INSERT INTO history_archives (table_name, month, file, sha256, rows, bytes)
		VALUES ('payout_events', date_trunc('month', now())::date, '/archive/payout_events-now.jsonl.zst', 'x', 1, 1)`)
	if _, err := s.SignOff(ctx, run.ID, fin); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "AR-1") {
		t.Fatalf("sign-off with the events since the run archived: %v, want refused naming AR-1", err)
	}
	// payops never deletes an archive's record (migration 00071); the test
	// takes its made-up one back.
	s.DB().MustExec(`ALTER TABLE history_archives DISABLE TRIGGER history_archives_guard;
		DELETE FROM history_archives;
		ALTER TABLE history_archives ENABLE TRIGGER history_archives_guard`)
	if _, err := s.SignOff(ctx, run.ID, fin); err != nil {
		t.Errorf("sign-off with the events kept, after a UTR only: %v", err)
	}
}

func TestSignOffRefusesADayThatChangedSinceItsVersion(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "CH-1", Provider: "nxtbanking", ProviderPayoutID: "pp-CH-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
	if err != nil {
		t.Fatal(err)
	}
	records := []payout.ProviderRecord{{ProviderPayoutID: "pp-CH-1", ReferenceID: "CH-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded}}
	fin := store.Actor{Name: "finance@example.com"}
	run, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler", records, false)
	if err != nil || !run.Ties {
		t.Fatalf("run %+v %v", run, err)
	}
	if _, err := s.ApplyObservation(ctx, "CH-1", store.First(true), payout.Observation{Source: payout.SourceWebhook, RawStatus: "REVERSED",
		Status: payout.Reversed}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, run.ID, fin); !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "CH-1") {
		t.Fatalf("sign-off after a payout of the day changed: %v, want refused naming CH-1", err)
	}
	records[0].Status = payout.Reversed
	time.Sleep(2100 * time.Millisecond) // past the margin a change just before a run counts in
	again, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler", records, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, again.ID, fin); err != nil {
		t.Errorf("sign-off of the new version: %v", err)
	}
}

// A fee the provider stated after the version was made is not in its
// comparison (its fee column was empty then): the sign-off asks for a run
// of the day again.
func TestSignOffRefusesADayWhoseFeeArrivedSinceItsVersion(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "FEE-1", Provider: "nxtbanking", ProviderPayoutID: "pp-FEE-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Processing, CreatedAt: day.Add(time.Hour),
		Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyObservation(ctx, "FEE-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		RawStatus: "SUCCESS", Status: payout.Succeeded}); err != nil {
		t.Fatal(err)
	}
	records := []payout.ProviderRecord{{ProviderPayoutID: "pp-FEE-1", ReferenceID: "FEE-1",
		Amount: payout.Money{Minor: 5000, Currency: "INR"}, Status: payout.Succeeded}}
	time.Sleep(2100 * time.Millisecond) // past the margin a change just before a run counts in
	run, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler", records, false)
	if err != nil || !run.Ties {
		t.Fatalf("run %+v %v", run, err)
	}
	if _, err := s.ApplyObservation(ctx, "FEE-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		RawStatus: "SUCCESS", Status: payout.Succeeded, Fee: &payout.Money{Minor: 25, Currency: "INR"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, run.ID, store.Actor{Name: "finance@example.com"}); !errors.Is(err, store.ErrRefused) ||
		!strings.Contains(err.Error(), "FEE-1") {
		t.Fatalf("sign-off after a fee arrived: %v, want refused naming FEE-1", err)
	}

	// Run again and signed off: nothing changed since. A reversal after it
	// is said on the signed-off version.
	time.Sleep(2100 * time.Millisecond)
	fee := int64(25)
	records[0].Fee = &fee
	again, err := s.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler", records, false)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignOff(ctx, again.ID, store.Actor{Name: "finance@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ChangedSinceSignOff(ctx, signed); err != nil || len(changed) != 0 {
		t.Fatalf("changed since a fresh sign-off: %v %v, want none", changed, err)
	}
	if _, err := s.ApplyObservation(ctx, "FEE-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		RawStatus: "REVERSED", Status: payout.Reversed}); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.ChangedSinceSignOff(ctx, signed); err != nil || len(changed) != 1 || changed[0] != "FEE-1" {
		t.Errorf("changed since the sign-off after a reversal: %v %v, want FEE-1", changed, err)
	}
}
