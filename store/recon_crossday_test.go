package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// crossDayFixture is a provider's two days, D and D+1 (UTC), and payouts
// sent in them.
type crossDayFixture struct {
	t   *testing.T
	s   *store.Store
	day time.Time
	ids map[string]int64
}

func newCrossDayFixture(t *testing.T) *crossDayFixture {
	return &crossDayFixture{t: t, s: pgtest.New(t), day: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), ids: map[string]int64{}}
}

// sent makes a succeeded live payout ref of 1,000.00 INR sent at.
func (f *crossDayFixture) sent(ref string, at time.Time) {
	f.t.Helper()
	id, err := f.s.CreatePayout(context.Background(), "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox",
		ProviderPayoutID: "pp-" + ref, Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Succeeded,
		CreatedAt: at, Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "123456789", IFSC: "HDFC0001234"}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.s.DB().MustExec(`UPDATE payouts SET submitted_at = $2 WHERE id = $1`, id, at)
	f.ids[ref] = id
}

// run reconciles day D+offset with records naming refs, as by.
func (f *crossDayFixture) run(offset int, by string, refs ...string) store.ReconRun {
	f.t.Helper()
	var records []payout.ProviderRecord
	for _, ref := range refs {
		records = append(records, payout.ProviderRecord{ProviderPayoutID: "pp-" + ref, ReferenceID: ref,
			Amount: payout.Money{Minor: 100000, Currency: "INR"}, Status: payout.Succeeded})
	}
	d := f.day.AddDate(0, 0, offset)
	run, err := f.s.Reconcile(context.Background(), "sandbox", d, d, d.AddDate(0, 0, 1), "list", by, records, false)
	if err != nil {
		f.t.Fatal(err)
	}
	return run
}

func (f *crossDayFixture) diffs(run store.ReconRun) []store.ReconDiff {
	f.t.Helper()
	d, err := f.s.ReconDiffs(context.Background(), run.ID, store.ReconDiffFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *crossDayFixture) oursCount(run store.ReconRun) int64 {
	f.t.Helper()
	totals, err := f.s.ReconTotals(context.Background(), run.ID)
	if err != nil || len(totals) != 1 {
		f.t.Fatalf("totals %+v %v", totals, err)
	}
	return totals[0].OursCount
}

// A payout payops recorded sent just after midnight that the provider put
// on the day before is counted on that day, and is no difference on its
// own — for as long as that day's latest version matches it.
func TestReconcilePayoutReportedTheDayBefore(t *testing.T) {
	ctx := context.Background()
	f := newCrossDayFixture(t)
	f.sent("DAY", f.day.Add(10*time.Hour))
	f.sent("LATE", f.day.Add(24*time.Hour+time.Second)) // ours: D+1 00:00:01
	f.sent("NEXT", f.day.Add(34*time.Hour))

	d := f.run(0, "day-end", "DAY", "LATE")
	if !d.Ties || d.Diffs != 0 || f.oursCount(d) != 2 {
		t.Fatalf("day D: %+v, ours %d", d, f.oursCount(d))
	}
	next := f.run(1, "day-end", "NEXT")
	if !next.Ties || next.Diffs != 0 || f.oursCount(next) != 1 {
		t.Fatalf("day D+1 counts or misses the payout reported on D: %+v, ours %d, diffs %+v", next, f.oursCount(next), f.diffs(next))
	}
	across, n, err := f.s.ReconCrossDay(ctx, next.ID, 50)
	if err != nil || len(across) != 1 || across[0].ReferenceID != "LATE" || across[0].Kind != "reported_other_day" ||
		!across[0].OtherDate.Equal(f.day) || n["reported_other_day"] != 1 {
		t.Fatalf("D+1 across days: %+v %v %v", across, n, err)
	}
	if across, n, _ := f.s.ReconCrossDay(ctx, d.ID, 50); len(across) != 1 || across[0].Kind != "sent_other_day" ||
		across[0].PayoutID != f.ids["LATE"] || n["sent_other_day"] != 1 {
		t.Fatalf("D across days: %+v %v", across, n)
	}

	// The provider corrects D's list without it: D's new version says it is
	// missing (D+1 left it to D), and D+1 run again finds it missing too.
	dv2 := f.run(0, "day-end", "DAY")
	if diffs := f.diffs(dv2); len(diffs) != 1 || diffs[0].Kind != "missing_at_provider" || diffs[0].ReferenceID != "LATE" ||
		diffs[0].Resolution != "open" {
		t.Fatalf("D without the payout D+1 left to it: %+v", diffs)
	}
	again := f.run(1, "day-end", "NEXT")
	if diffs := f.diffs(again); len(diffs) != 1 || diffs[0].Kind != "missing_at_provider" || diffs[0].ReferenceID != "LATE" {
		t.Fatalf("D+1 after D lost the payout: %+v", diffs)
	}
}

// A payout payops recorded sent just before midnight that the provider put
// on the day after: its day's "missing at provider" is resolved by the run
// of the next day that matches it, with a note and an audit entry, and the
// day can be signed off.
func TestReconcilePayoutReportedTheDayAfter(t *testing.T) {
	ctx := context.Background()
	f := newCrossDayFixture(t)
	f.sent("DAY", f.day.Add(10*time.Hour))
	f.sent("EARLY", f.day.Add(24*time.Hour-time.Second)) // ours: D 23:59:59
	f.sent("NEXT", f.day.Add(34*time.Hour))

	d := f.run(0, "day-end", "DAY")
	if diffs := f.diffs(d); len(diffs) != 1 || diffs[0].Kind != "missing_at_provider" || diffs[0].Resolution != "open" {
		t.Fatalf("day D before D+1 is reconciled: %+v", diffs)
	}
	next := f.run(1, "finance@example.com", "NEXT", "EARLY")
	if !next.Ties || f.oursCount(next) != 2 {
		t.Fatalf("day D+1: %+v", next)
	}
	diffs := f.diffs(d)
	if len(diffs) != 1 || diffs[0].Resolution != "resolved" || deref(diffs[0].ResolvedBy) != "finance@example.com" ||
		diffs[0].Note != payout.ReportedOnAnotherDay(f.day.AddDate(0, 0, 1), 1) {
		t.Fatalf("D's difference after D+1 matched it: %+v", diffs)
	}
	entries, err := f.s.AuditFor(ctx, "recon", "sandbox/2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range entries {
		found = found || e.Action == "recon.diff_resolved" && strings.Contains(string(e.Details), `"matched_by_run":`)
	}
	if !found {
		t.Fatalf("no audit of the resolution: %+v", entries)
	}
	if _, err := f.s.SignOff(ctx, d.ID, store.Actor{Name: "finance@example.com"}); err != nil {
		t.Fatalf("sign off D: %v", err)
	}

	// D run again (the provider's list unchanged) leaves the payout to D+1:
	// no difference, nothing counted twice.
	f.s.DB().MustExec(`UPDATE recon_runs SET signed_off_by = NULL WHERE id = $1`, d.ID)
	again := f.run(0, "day-end", "DAY")
	if !again.Ties || again.Diffs != 0 || f.oursCount(again) != 1 {
		t.Fatalf("D run again: %+v, ours %d", again, f.oursCount(again))
	}
}

// Only the latest version of the other day is resolved; a difference of
// another payout is left.
func TestReconcileDayAfterLeavesOtherDifferences(t *testing.T) {
	f := newCrossDayFixture(t)
	f.sent("EARLY", f.day.Add(24*time.Hour-time.Second))
	f.sent("LOST", f.day.Add(12*time.Hour))
	v1 := f.run(0, "day-end")
	v2 := f.run(0, "day-end")
	f.run(1, "day-end", "EARLY")
	if diffs := f.diffs(v1); len(diffs) != 2 || diffs[0].Resolution != "open" || diffs[1].Resolution != "open" {
		t.Fatalf("version 1 (not the latest) changed: %+v", diffs)
	}
	diffs := f.diffs(v2)
	if len(diffs) != 2 {
		t.Fatalf("version 2: %+v", diffs)
	}
	for _, d := range diffs {
		if want := map[string]string{"EARLY": "resolved", "LOST": "open"}[d.ReferenceID]; d.Resolution != want {
			t.Fatalf("version 2 %s is %s, want %s", d.ReferenceID, d.Resolution, want)
		}
	}
}

// D+1 resolved D's difference by matching the payout, then D+1's report is
// corrected without it: D+1's new version says it is missing there, and
// D's new version does not carry the resolution over — the payout is a
// difference until someone explains it, never counted nowhere in silence.
func TestReconcileResolutionByAnotherDayIsNotCarried(t *testing.T) {
	f := newCrossDayFixture(t)
	f.sent("DAY", f.day.Add(10*time.Hour))
	f.sent("EARLY", f.day.Add(24*time.Hour-time.Second))
	f.sent("NEXT", f.day.Add(34*time.Hour))
	d := f.run(0, "day-end", "DAY")
	f.run(1, "day-end", "NEXT", "EARLY")
	if diffs := f.diffs(d); len(diffs) != 1 || diffs[0].Resolution != "resolved" {
		t.Fatalf("D after D+1 matched the payout: %+v", diffs)
	}
	next2 := f.run(1, "day-end", "NEXT")
	if diffs := f.diffs(next2); len(diffs) != 1 || diffs[0].ReferenceID != "EARLY" || diffs[0].Kind != "missing_at_provider" ||
		f.oursCount(next2) != 2 {
		t.Fatalf("D+1 without the payout it resolved on D: %+v, ours %d", diffs, f.oursCount(next2))
	}
	d2 := f.run(0, "day-end", "DAY")
	if diffs := f.diffs(d2); len(diffs) != 1 || diffs[0].ReferenceID != "EARLY" || diffs[0].Resolution != "open" {
		t.Fatalf("D run again carried another day's resolution: %+v", diffs)
	}
}

// While D is being worked on (its lock held: a run, a resolution, a
// sign-off), a run of D+1 that matches D's missing payout does not wait for
// it: D's difference stays open, and D run again leaves the payout to D+1.
func TestReconcileDayAfterDoesNotWaitForABusyDay(t *testing.T) {
	f := newCrossDayFixture(t)
	f.sent("EARLY", f.day.Add(24*time.Hour-time.Second))
	d := f.run(0, "day-end")
	busy := f.s.DB().MustBegin()
	defer busy.Rollback()
	busy.MustExec(`SELECT pg_advisory_xact_lock(hashtext('payops.recon.' || 'sandbox' || $1::date))`, f.day)
	if next := f.run(1, "day-end", "EARLY"); !next.Ties {
		t.Fatalf("D+1: %+v", next)
	}
	if diffs := f.diffs(d); len(diffs) != 1 || diffs[0].Resolution != "open" {
		t.Fatalf("D's difference while D was busy: %+v", diffs)
	}
	busy.Rollback()
	if again := f.run(0, "day-end"); !again.Ties || again.Diffs != 0 {
		t.Fatalf("D run again: %+v", again)
	}
}

// A payout the provider reports on two days (its own, and the next) is in
// both days' totals: each day's version names the other, in either order
// of running them; a payout counted once (one across midnight on the next
// day's report alone too) is named by neither.
func TestAPayoutCountedOnTwoDaysIsNamed(t *testing.T) {
	ctx := context.Background()
	for _, ownFirst := range []bool{true, false} {
		f := newCrossDayFixture(t)
		f.sent("TWICE", f.day.Add(20*time.Hour))
		f.sent("ONCE", f.day.Add(21*time.Hour))
		f.sent("NEXT", f.day.Add(36*time.Hour))
		f.sent("LATE", f.day.Add(23*time.Hour+59*time.Minute)) // on the next day's report alone: counted once
		var own, next store.ReconRun
		if ownFirst {
			own = f.run(0, "fin", "TWICE", "ONCE")
			next = f.run(1, "fin", "TWICE", "NEXT", "LATE")
		} else {
			next = f.run(1, "fin", "TWICE", "NEXT", "LATE")
			own = f.run(0, "fin", "TWICE", "ONCE")
		}
		for run, other := range map[store.ReconRun]time.Time{own: f.day.AddDate(0, 0, 1), next: f.day} {
			got, err := f.s.ReconCountedTwice(ctx, run, 10)
			if err != nil || len(got) != 1 || got[0].ReferenceID != "TWICE" || !got[0].OtherDate.Equal(other) {
				t.Errorf("own first %v, %s: counted twice %+v, %v; want TWICE, also on %s", ownFirst,
					run.BusinessDate.Format(time.DateOnly), got, err, other.Format(time.DateOnly))
			}
		}
	}
}
