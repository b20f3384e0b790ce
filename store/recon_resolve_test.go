package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// reconciledFixture reconciles the fixture day and returns its version and
// its differences by reference and kind ("R2 amount_mismatch").
func reconciledFixture(t *testing.T, s *store.Store, day time.Time) (store.ReconRun, map[string]store.ReconDiff) {
	t.Helper()
	return reconcileRecords(t, s, day, pgtest.NewReconFixture(t, s, day).Records)
}

// reconcileRecords reconciles sandbox's day from records, as reconciledFixture
// does.
func reconcileRecords(t *testing.T, s *store.Store, day time.Time, records []payout.ProviderRecord) (store.ReconRun,
	map[string]store.ReconDiff) {
	t.Helper()
	run, err := s.Reconcile(context.Background(), "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance", records, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := s.ReconDiffs(context.Background(), run.ID, store.ReconDiffFilter{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]store.ReconDiff{}
	for _, d := range diffs {
		by[d.ReferenceID+" "+d.Kind] = d
	}
	return run, by
}

// Closing several differences with one note: each open one is closed and
// audited on its own; one closed already, or of another version, is left
// and said so; nothing else changes.
func TestResolveDiffsClosesEachSelectedOne(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	fx := pgtest.NewReconFixture(t, s, day)
	run, diffs := reconcileRecords(t, s, day, fx.Records)
	fin := store.Actor{Name: "finance@example.com"}
	amount, currency, missing := diffs["R2 amount_mismatch"], diffs["R3 currency_mismatch"], diffs["R7 missing_in_payops"]
	_, err := s.ResolveDiff(ctx, missing.ID, store.Actor{Name: "other@example.com"}, "a test record", true)
	if err != nil {
		t.Fatal(err)
	}
	_, other := reconcileRecords(t, s, day.AddDate(0, 0, 1), fx.Records)

	selected := []int64{amount.ID, missing.ID, currency.ID, amount.ID, other["R2 amount_mismatch"].ID}
	got, err := s.ResolveDiffs(ctx, run.ID, selected, fin, "Bank charged the difference; booked", false)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id      int64
		changed bool
		reason  string
	}{
		{amount.ID, true, ""},
		{missing.ID, false, "accepted already, by other@example.com"},
		{currency.ID, true, ""},
		{other["R2 amount_mismatch"].ID, false, "not a difference of this version"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d outcomes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if g := got[i]; g.ID != w.id || g.Changed != w.changed || g.Reason != w.reason {
			t.Errorf("outcome %d: got %d %v %q, want %d %v %q", i, g.ID, g.Changed, g.Reason, w.id, w.changed, w.reason)
		}
	}
	if d := got[0].Diff; d.Resolution != "resolved" || d.Note != "Bank charged the difference; booked" ||
		d.ResolvedBy == nil || *d.ResolvedBy != fin.Name || d.ResolvedAt == nil {
		t.Errorf("closed difference %+v", d)
	}
	after, _ := s.ReconRunByID(ctx, run.ID)
	if after.OpenDiffs != 7-3 {
		t.Errorf("%d open after closing three, want 4", after.OpenDiffs)
	}
	if o, _ := s.ReconRunByID(ctx, other["R2 amount_mismatch"].RunID); o.OpenDiffs != 7 {
		t.Errorf("the other day's version has %d open, want 7", o.OpenDiffs)
	}

	// One audit entry per difference closed, naming it, with the note and
	// how many were selected with it.
	entryOK := func(e store.AuditEntry, runID, bulk int64, note string) bool {
		return e.Actor == fin.Name && runID == run.ID && note == "Bank charged the difference; booked" && bulk == 4
	}
	closed := auditedResolutions(t, s, "sandbox/2026-11-20", entryOK)
	if len(closed) != 2 || !closed[amount.ID] || !closed[currency.ID] {
		t.Errorf("audited %v, want %d and %d", closed, amount.ID, currency.ID)
	}
}

// auditedResolutions returns the differences closed as resolved on a day,
// by the audit log, checking each entry with ok.
func auditedResolutions(t *testing.T, s *store.Store, day string,
	ok func(e store.AuditEntry, runID, bulk int64, note string) bool) map[int64]bool {
	t.Helper()
	entries, err := s.AuditFor(context.Background(), "recon", day)
	if err != nil {
		t.Fatal(err)
	}
	closed := map[int64]bool{}
	for _, e := range entries {
		if e.Action != "recon.diff_resolved" {
			continue
		}
		var d struct {
			Run, Diff, Bulk int64
			Note            string
		}
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatal(err)
		}
		if !ok(e, d.Run, d.Bulk, d.Note) {
			t.Errorf("audit entry %+v %s", e, e.Details)
		}
		closed[d.Diff] = true
	}
	return closed
}

// A version that is not the latest, or is signed off, refuses the whole
// selection and changes nothing; a version that does not exist is not
// found.
func TestResolveDiffsRefusesAReadOnlyVersion(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	v1, diffs := reconciledFixture(t, s, day)
	fin := store.Actor{Name: "finance@example.com"}
	if _, err := s.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance", nil, false); err != nil {
		t.Fatal(err)
	}
	_, err := s.ResolveDiffs(ctx, v1.ID, []int64{diffs["R2 amount_mismatch"].ID}, fin, "on the old version", false)
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "work on the latest, version 2") {
		t.Errorf("an older version: %v", err)
	}
	// A day without payouts ties; signed off, it is read-only.
	quiet := day.AddDate(0, 0, -10)
	signed, err := s.Reconcile(ctx, "sandbox", quiet, quiet, quiet.Add(24*time.Hour), "upload", "finance", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignOff(ctx, signed.ID, fin); err != nil {
		t.Fatal(err)
	}
	_, err = s.ResolveDiffs(ctx, signed.ID, []int64{diffs["R2 amount_mismatch"].ID}, fin, "on a signed-off day", false)
	if !errors.Is(err, store.ErrRefused) || !strings.Contains(err.Error(), "signed off by finance@example.com") {
		t.Errorf("a signed-off version: %v", err)
	}
	// The signed-off day is reconciled again only when that is confirmed
	// (decided under the day's lock): the day-end job's Run now is not.
	if _, err := s.Reconcile(ctx, "sandbox", quiet, quiet, quiet.Add(24*time.Hour), "list", "day-end", nil, false); !errors.Is(err, store.ErrSignedOff) || !errors.Is(err, store.ErrRefused) {
		t.Errorf("a signed-off day again, unconfirmed: %v", err)
	}
	if latest, err := s.ReconVersions(ctx, "sandbox", quiet); err != nil || len(latest) != 1 {
		t.Errorf("versions after the refused run: %d (%v), want 1", len(latest), err)
	}
	if again, err := s.Reconcile(ctx, "sandbox", quiet, quiet, quiet.Add(24*time.Hour), "upload", "finance", nil, true); err != nil || again.Version != 2 {
		t.Errorf("a signed-off day again, confirmed: %+v %v; want version 2", again, err)
	}
	if entries, err := s.AuditFor(ctx, "recon", "sandbox/"+quiet.Format("2006-01-02")); err != nil ||
		!slices.ContainsFunc(entries, func(e store.AuditEntry) bool {
			return e.Action == "recon.rerun_signed_off" && strings.Contains(string(e.Details), `"replaces_version": 1`)
		}) {
		t.Errorf("the confirmed run again is not audited as replacing the signed-off version 1 (%v)", err)
	}
	_, err = s.ResolveDiffs(ctx, 999999, []int64{1}, fin, "no such version", false)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no such version: %v", err)
	}
	if run, _ := s.ReconRunByID(ctx, v1.ID); run.OpenDiffs != 7 {
		t.Errorf("refused selections closed %d differences", 7-run.OpenDiffs)
	}
	entries, _ := s.AuditFor(ctx, "recon", "sandbox/2026-11-20")
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "recon.diff_") {
			t.Errorf("a refused selection was audited: %+v", e)
		}
	}
}

// The differences carried forward into a day: earlier days' latest
// versions with open differences, oldest first, of one provider or all.
func TestOpenDaysBefore(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	d1 := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	d2, d3 := d1.AddDate(0, 0, 1), d1.AddDate(0, 0, 2)
	fin := store.Actor{Name: "finance@example.com"}
	fx := pgtest.NewReconFixture(t, s, d1)
	run1, diffs1 := reconcileRecords(t, s, d1, fx.Records) // 7 open
	reconcileRecords(t, s, d2, fx.Records)
	_, err := s.ResolveDiffs(ctx, run1.ID, []int64{diffs1["R2 amount_mismatch"].ID}, fin, "booked by hand", false)
	if err != nil {
		t.Fatal(err)
	}
	// Day 2 again, with nothing open: its first version's differences no
	// longer count. Its one payout, R10, ties.
	fee := int64(500)
	r10 := payout.ProviderRecord{ProviderPayoutID: "pp-R10", ReferenceID: "R10", Status: payout.Succeeded,
		Amount: payout.Money{Minor: 1000, Currency: "INR"}, Fee: &fee}
	if run, err := s.Reconcile(ctx, "sandbox", d2, d2, d2.Add(24*time.Hour), "upload", "finance",
		[]payout.ProviderRecord{r10}, false); err != nil || run.OpenDiffs != 0 {
		t.Fatalf("day 2 again: %+v %v", run, err)
	}
	// Xendit's day 2 has one open difference: a record payops does not have.
	if _, err := s.Reconcile(ctx, "xendit", d2, d2, d2.Add(24*time.Hour), "upload", "finance",
		[]payout.ProviderRecord{{ProviderPayoutID: "xnd-1", ReferenceID: "X-1", Status: payout.Succeeded,
			Amount: payout.Money{Minor: 1000, Currency: "IDR"}}}, false); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		provider string
		before   time.Time
		want     string
	}{
		{"", d3, "sandbox 2026-11-18 6, xendit 2026-11-19 1"},
		{"sandbox", d3, "sandbox 2026-11-18 6"},
		{"xendit", d3, "xendit 2026-11-19 1"},
		{"", d2, "sandbox 2026-11-18 6"},
		{"", d1, ""},
		{"razorpayx", d3, ""},
	}
	for _, tt := range tests {
		got, err := s.OpenDaysBefore(ctx, tt.provider, tt.before)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, d := range got {
			parts = append(parts, d.Provider+" "+d.BusinessDate.Format("2006-01-02")+" "+strconv.Itoa(d.Open))
		}
		if g := strings.Join(parts, ", "); g != tt.want {
			t.Errorf("OpenDaysBefore(%q, %s) = %q, want %q", tt.provider, tt.before.Format("2006-01-02"), g, tt.want)
		}
	}
}

// A refused upload is kept in the audit log and read back by its id, and
// only as a refused upload.
func TestRefusedUploads(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	id, err := s.RecordRefusedUpload(ctx, "xendit", day, store.Actor{Name: "finance@example.com"}, "nov20.csv",
		"line 3: amount \"2001.005\" has more decimals than INR")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.RefusedUploadByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.Actor != "finance@example.com" || got.Provider != "xendit" || !got.Date.Equal(day) ||
		got.File != "nov20.csv" || got.Reason != "line 3: amount \"2001.005\" has more decimals than INR" ||
		time.Since(got.At) > time.Minute {
		t.Errorf("refused upload %+v", got)
	}
	err = s.Audit(ctx, "finance@example.com", "recon.sign_off", "recon", "xendit/2026-11-20", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := s.AuditFor(ctx, "recon", "xendit/2026-11-20")
	if _, err := s.RefusedUploadByID(ctx, entries[len(entries)-1].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another audit entry read as a refused upload: %v", err)
	}
}
