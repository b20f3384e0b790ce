package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// reconciledDay reconciles the fixture's day (seven differences) as an
// upload and returns the day's page and its differences by reference and
// kind ("R2 amount_mismatch").
func reconciledDay(t *testing.T, a *app, day time.Time) (string, store.ReconRun, map[string]store.ReconDiff) {
	t.Helper()
	fx := pgtest.NewReconFixture(t, a.store, day)
	run, err := a.store.Reconcile(context.Background(), "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance",
		fx.Records, false)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := a.store.ReconDiffs(context.Background(), run.ID, store.ReconDiffFilter{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]store.ReconDiff{}
	for _, d := range diffs {
		by[d.ReferenceID+" "+d.Kind] = d
	}
	return "/reconciliation/sandbox/" + day.Format(time.DateOnly), run, by
}

// bulkForm is the bulk bar's form for version v and the differences ds.
func bulkForm(v int, note, as string, ds ...store.ReconDiff) url.Values {
	f := url.Values{"version": {fmt.Sprint(v)}, "note": {note}, "as": {as}}
	for _, d := range ds {
		f.Add("diff", fmt.Sprint(d.ID))
	}
	return f
}

// Only finance closes differences (the permission table's recon.close):
// others are refused and offered no bulk bar.
func TestBulkResolveIsFinances(t *testing.T) {
	a := newApp(t)
	roles := []payout.Role{payout.RoleOps, payout.RoleCompliance, payout.RoleAdmin}
	for _, r := range roles {
		a.addUser(string(r)+"@example.com", r)
	}
	dayURL, run, diffs := reconciledDay(t, a, pastDay(3))
	for _, r := range roles {
		c := a.client()
		c.login(string(r) + "@example.com")
		code, _, _ := c.do("POST", dayURL+"/resolve", bulkForm(1, "booked by hand", "resolved",
			diffs["R2 amount_mismatch"]), nil)
		if code != http.StatusForbidden {
			t.Errorf("%s closing differences: %d, want 403", r, code)
		}
		if _, page := c.get(dayURL); byID(t, page, "bulk-resolve") != nil || byID(t, page, "pick-all-diffs") != nil {
			t.Errorf("%s is offered the bulk bar", r)
		}
	}
	if r, _ := a.store.ReconRunByID(context.Background(), run.ID); r.OpenDiffs != 7 {
		t.Errorf("refused selections closed %d differences", 7-r.OpenDiffs)
	}
}

// Without a note, or without a selection, it is 422 with the page, what to
// fix, and the note and the selection as they were; nothing changes.
func TestBulkResolveNeedsANoteAndASelection(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	dayURL, run, diffs := reconciledDay(t, a, pastDay(3))
	amount, status := diffs["R2 amount_mismatch"], diffs["R4 status_mismatch"]
	fin := a.client()
	fin.login("finance@example.com")
	code, page, _ := fin.do("POST", dayURL+"/resolve", bulkForm(1, "  ", "resolved", amount, status), nil)
	if got, _ := textByID(t, page, "bulk-error"); code != http.StatusUnprocessableEntity ||
		!strings.Contains(got, "at least 5") {
		t.Fatalf("no note: %d, %q", code, got)
	}
	for _, d := range []store.ReconDiff{amount, status} {
		row := byID(t, page, fmt.Sprintf("diff-%d", d.ID))
		if row == nil {
			t.Fatalf("no row of difference %d", d.ID)
		}
		box := find(row, func(n *html.Node) bool { return attr(n, "name") == "diff" })
		if box == nil || !hasAttr(box, "checked") {
			t.Errorf("difference %d is no longer selected after the refusal", d.ID)
		}
	}
	code, page, _ = fin.do("POST", dayURL+"/resolve", bulkForm(1, "booked by hand", "resolved"), nil)
	if got, _ := textByID(t, page, "bulk-error"); code != http.StatusUnprocessableEntity ||
		got != "Select at least one difference." {
		t.Errorf("nothing selected: %d, %q", code, got)
	}
	if r, _ := a.store.ReconRunByID(context.Background(), run.ID); r.OpenDiffs != 7 {
		t.Errorf("refused selections closed %d differences", 7-r.OpenDiffs)
	}
}

// Finance closes several differences with one note: each is closed and
// audited on its own, and the page says what happened to each, one that
// someone closed first included. HTMX gets the page's main part.
func TestBulkResolveDifferences(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("finance2@example.com", payout.RoleFinance)
	day := pastDay(3)
	dayURL, _, diffs := reconciledDay(t, a, day)
	amount, status, missing := diffs["R2 amount_mismatch"], diffs["R4 status_mismatch"], diffs["R7 missing_in_payops"]
	other := a.client()
	other.login("finance2@example.com")
	if code, _, _ := other.do("POST", fmt.Sprintf("/reconciliation/diffs/%d/resolve", missing.ID),
		url.Values{"note": {"a test record at the provider"}, "as": {"accepted"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("closing one: %d", code)
	}
	fin := a.client()
	fin.login("finance@example.com")
	note := "Bank charged the difference; booked"
	code, page, _ := fin.do("POST", dayURL+"/resolve", bulkForm(1, note, "resolved", amount, missing, status), nil)
	results := textsOf(t, page, "bulk-results", "ok")
	refused := textsOf(t, page, "bulk-results", "bad")
	if code != http.StatusOK || len(results) != 2 || len(refused) != 1 ||
		results[0] != "R2 · Amount resolved" || results[1] != "R4 · Status resolved" ||
		refused[0] != "R7 · Missing in payops not changed: accepted already, by finance2@example.com" {
		t.Errorf("bulk resolve: %d, closed %q, not %q", code, results, refused)
	}
	if got, _ := textByID(t, page, "day-state"); got != "4 open differences" {
		t.Errorf("the page after: %q", got)
	}
	if got := auditedNotes(t, a, day, "finance@example.com"); len(got) != 2 || got[amount.ID] != note ||
		got[status.ID] != note {
		t.Errorf("audited %v, want %d and %d with the note", got, amount.ID, status.ID)
	}

	code, frag, _ := fin.do("POST", dayURL+"/resolve", bulkForm(1, "known and left", "accepted",
		diffs["R5 fee_mismatch"]), map[string]string{"HX-Request": "true"})
	if code != http.StatusOK || strings.Contains(frag, "<html") ||
		!strings.HasPrefix(strings.TrimSpace(frag), `<div id="day-main">`) {
		t.Errorf("HTMX bulk accept: %d\n%.300s", code, frag)
	}
}

// auditedNotes returns the notes of the differences by closed on sandbox's
// day, as the audit log has them, by difference.
func auditedNotes(t *testing.T, a *app, day time.Time, by string) map[int64]string {
	t.Helper()
	entries, err := a.store.AuditFor(context.Background(), "recon", "sandbox/"+day.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	notes := map[int64]string{}
	for _, e := range entries {
		var d struct {
			Diff int64
			Note string
		}
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(e.Action, "recon.diff_") && e.Actor == by {
			notes[d.Diff] = d.Note
		}
	}
	return notes
}

// A version that is read-only, an older one or a signed-off one, offers no
// bulk bar and the server refuses a selection on it anyway.
func TestBulkResolveRefusedOnAReadOnlyVersion(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(3)
	dayURL, _, diffs := reconciledDay(t, a, day)
	fin := a.client()
	fin.login("finance@example.com")
	if _, page := fin.get(dayURL); byID(t, page, "bulk-resolve") == nil {
		t.Fatal("the latest version offers no bulk bar")
	}
	// Version 2: payops' side only, so version 1 is kept as it was.
	if _, err := a.store.Reconcile(context.Background(), "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance",
		nil, false); err != nil {
		t.Fatal(err)
	}
	if _, page := fin.get(dayURL + "?v=1"); byID(t, page, "bulk-resolve") != nil || byID(t, page, "upload") != nil {
		t.Error("version 1 offers the bulk bar or the upload form")
	}
	code, body, _ := fin.do("POST", dayURL+"/resolve", bulkForm(1, "on the old version", "resolved",
		diffs["R2 amount_mismatch"]), nil)
	if code != http.StatusConflict || !strings.Contains(body, "work on the latest, version 2") {
		t.Errorf("closing on version 1: %d", code)
	}

	// A day signed off: its differences closed one at a time, then signed.
	quiet := pastDay(9)
	run, err := a.store.Reconcile(context.Background(), "sandbox", quiet, quiet, quiet.Add(24*time.Hour), "upload",
		"finance", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := fin.do("POST", "/reconciliation/sandbox/"+quiet.Format(time.DateOnly)+"/signoff",
		url.Values{"version": {fmt.Sprint(run.Version)}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign off: %d", code)
	}
	quietURL := "/reconciliation/sandbox/" + quiet.Format(time.DateOnly)
	if _, page := fin.get(quietURL); byID(t, page, "bulk-resolve") != nil || byID(t, page, "upload") != nil {
		t.Error("a signed-off day offers the bulk bar or the upload form")
	}
	code, body, _ = fin.do("POST", quietURL+"/resolve", bulkForm(1, "", "resolved", diffs["R2 amount_mismatch"]), nil)
	if code != http.StatusConflict || !strings.Contains(body, "signed off by finance@example.com") {
		t.Errorf("closing on a signed-off day, even without a note: %d", code)
	}
	if v := mustVersions(t, a, "sandbox", day); v[1].OpenDiffs != 7 {
		t.Errorf("refused selections closed %d of version 1's differences", 7-v[1].OpenDiffs)
	}
}
