package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
)

// refusals counts the refused uploads in a day's audit log.
func refusals(t *testing.T, a *app, provider string, day time.Time) int {
	t.Helper()
	entries, err := a.store.AuditFor(context.Background(), "recon", provider+"/"+day.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "recon.upload_refused" {
			n++
		}
	}
	return n
}

// A refused settlement report is Post/Redirect/Get: 303 back to the day's
// page, which shows why (the refusal is in the audit log); showing that
// page again posts nothing. The refusal shows only to whoever made it, on
// its day. A report that is taken shows the new version, every amount with
// its currency, a difference of nothing too.
func TestRefusedUploadRedirectsBack(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("finance2@example.com", payout.RoleFinance)
	day := pastDay(2)
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
	a.addPayoutFor("UP-1", "nxtbanking", payout.Succeeded, time.Since(day.Add(12*time.Hour)))
	fin := a.client()
	fin.login("finance@example.com")

	// UP-1 as payops has it, and a USD payout it does not.
	report := settlementCSV([]payout.ProviderRecord{
		{ProviderPayoutID: sandbox.PayoutIDFor("UP-1"), ReferenceID: "UP-1", Status: payout.Succeeded,
			Amount: payout.Money{Minor: 125050, Currency: "INR"}},
		{ProviderPayoutID: "sbx-unknown", ReferenceID: "UP-404", Status: payout.Succeeded,
			Amount: payout.Money{Minor: 9900, Currency: "USD"}}})
	bad := strings.Replace(string(report), "99.00", "99.001", 1)
	code, _, h := fin.upload(dayURL+"/upload", "report", "nov-report.csv", []byte(bad))
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, dayURL+"?refused=") {
		t.Fatalf("refused upload: %d to %q", code, loc)
	}
	for range 2 { // the page, then the page reloaded
		code, page := fin.get(loc)
		got, ok := textByID(t, page, "upload-error")
		if code != http.StatusOK || !ok || !strings.Contains(got, "line 3") || !strings.Contains(got, "nov-report.csv") {
			t.Errorf("after the refusal: %d, %q", code, got)
		}
		if byID(t, page, "upload") == nil {
			t.Error("no upload form to try again")
		}
	}
	v, _ := a.store.ReconVersions(context.Background(), "nxtbanking", day)
	if n := refusals(t, a, "nxtbanking", day); len(v) != 0 || n != 1 {
		t.Fatalf("a refused report, shown twice: %d versions, %d refusals recorded", len(v), n)
	}
	if got := refusedUpload(t, fin, dayURL, nil); !strings.Contains(got, "the file is empty") {
		t.Errorf("an empty file: %q", got)
	}
	// Another day's report: its rows settled before this day began.
	earlier := day.AddDate(0, 0, -3).Format(time.RFC3339)
	wrongDay := strings.Replace(string(settlementCSV([]payout.ProviderRecord{{ProviderPayoutID: sandbox.PayoutIDFor("UP-1"),
		ReferenceID: "UP-1", Status: payout.Succeeded, Amount: payout.Money{Minor: 125050, Currency: "INR"}}})),
		"SUCCEEDED,,", "SUCCEEDED,,"+earlier, 1)
	if got := refusedUpload(t, fin, dayURL, []byte(wrongDay)); !strings.Contains(got, "another day's report") {
		t.Errorf("another day's report: %q", got)
	}

	// Someone else following the link, or the link on another day, shows
	// nothing.
	other := a.client()
	other.login("finance2@example.com")
	if _, page := other.get(loc); byID(t, page, "upload-error") != nil {
		t.Error("another user sees the refusal")
	}
	elsewhere := "/reconciliation/nxtbanking/" + pastDay(3).Format(time.DateOnly) + loc[len(dayURL):]
	if _, page := fin.get(elsewhere); byID(t, page, "upload-error") != nil {
		t.Error("the refusal shows on another day")
	}

	code, _, h = fin.upload(dayURL+"/upload", "report", "nov-report.csv", report)
	if code != http.StatusSeeOther || h.Get("Location") != dayURL+"?done=uploaded" {
		t.Fatalf("the corrected report: %d %v", code, h)
	}
	_, page := fin.get(dayURL)
	for currency, want := range map[string]string{"INR": "0.00 INR", "USD": "-99.00 USD"} {
		if got := textOf(selectOne(t, page, "total-"+currency, "total-diff")); got != want {
			t.Errorf("%s difference %q, want %q", currency, got, want)
		}
	}
	// The version names the file behind it, on the page and in the audit
	// log; its records come back as a report in the same columns.
	sum := sha256.Sum256(report)
	if got, _ := textByID(t, page, "report-file"); !strings.Contains(got, "nov-report.csv") ||
		!strings.Contains(got, hex.EncodeToString(sum[:])) {
		t.Errorf("the report's file reads %q", got)
	}
	var entry string
	a.store.DB().Get(&entry, `SELECT details::text FROM audit_log WHERE action = 'recon.run' ORDER BY id DESC LIMIT 1`)
	if !strings.Contains(entry, `"file": "nov-report.csv"`) || !strings.Contains(entry, hex.EncodeToString(sum[:])) {
		t.Errorf("recon.run's entry: %s", entry)
	}
	code, body, hd := fin.do("GET", dayURL+"/records.csv", nil, nil)
	if code != http.StatusOK || !strings.Contains(hd.Get("Content-Disposition"), "-v1-provider-records.csv") {
		t.Fatalf("records.csv: %d, %q", code, hd.Get("Content-Disposition"))
	}
	if strings.TrimSpace(body) != strings.TrimSpace(string(report)) {
		t.Errorf("records.csv is not the report uploaded:\n%s\nwant\n%s", body, report)
	}
}

// A signed-off day takes no report: no form, and the server refuses one
// (409) until the day is run again, nothing imported.
func TestUploadRefusedOnASignedOffDay(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("ops@example.com", payout.RoleOps)
	day := pastDay(9)
	signedOffDay(t, a, "nxtbanking", day)
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
	fin := a.client()
	fin.login("finance@example.com")
	if _, page := fin.get(dayURL); byID(t, page, "upload") != nil {
		t.Error("a signed-off day offers the upload form")
	}
	code, body, _ := fin.upload(dayURL+"/upload", "report", "r.csv", settlementCSV(nil))
	if code != http.StatusConflict || !strings.Contains(body, "signed off by finance@example.com") {
		t.Errorf("uploading to a signed-off day: %d", code)
	}
	ops := a.client()
	ops.login("ops@example.com")
	if code, _, _ := ops.upload(dayURL+"/upload", "report", "r.csv", settlementCSV(nil)); code != http.StatusForbidden {
		t.Errorf("ops uploading: %d, want 403", code)
	}
	if v := mustVersions(t, a, "nxtbanking", day); len(v) != 1 || refusals(t, a, "nxtbanking", day) != 0 {
		t.Errorf("refused uploads left %d versions, %d refusals", len(v), refusals(t, a, "nxtbanking", day))
	}
	// Run again (confirmed), and the new version takes a report.
	code, _, _ = fin.do("POST", dayURL+"/run", url.Values{"confirm": {"signed-off"}}, nil)
	if code != http.StatusSeeOther {
		t.Fatalf("run again: %d", code)
	}
	if _, page := fin.get(dayURL); byID(t, page, "upload") == nil {
		t.Error("the new version offers no upload form")
	}
	if _, page := fin.get(dayURL + "?v=1"); byID(t, page, "upload") != nil {
		t.Error("version 1 offers the upload form")
	}
}

// A report that looks like the wrong file is taken, with a warning on the
// version: one with no rows, one of which no row matches a payout of the
// provider, one whose rows are all other days' payouts.
func TestAWrongLookingReportIsWarnedOf(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(2)
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
	a.addPayoutFor("WW-1", "nxtbanking", payout.Succeeded, time.Since(day.Add(12*time.Hour)))
	a.addPayoutFor("WW-0", "nxtbanking", payout.Succeeded, time.Since(day.Add(-12*time.Hour))) // the day before
	fin := a.client()
	fin.login("finance@example.com")
	for _, c := range []struct {
		report []byte
		want   string
	}{
		{settlementCSV(nil), "has no rows"},
		{settlementCSV([]payout.ProviderRecord{{ProviderPayoutID: "other-1", ReferenceID: "OTHER-1", Status: payout.Succeeded,
			Amount: payout.Money{Minor: 500, Currency: "INR"}}}), "The provider's one record matched no payout of nxtbanking"},
		{settlementCSV([]payout.ProviderRecord{{ProviderPayoutID: sandbox.PayoutIDFor("WW-0"), ReferenceID: "WW-0",
			Status: payout.Succeeded, Amount: payout.Money{Minor: 125050, Currency: "INR"}}}), "The provider's one record is a payout of another day"},
		{settlementCSV([]payout.ProviderRecord{{ProviderPayoutID: sandbox.PayoutIDFor("WW-1"), ReferenceID: "WW-1",
			Status: payout.Succeeded, Amount: payout.Money{Minor: 125050, Currency: "INR"}}}), ""},
	} {
		if code, _, _ := fin.upload(dayURL+"/upload", "report", "r.csv", c.report); code != http.StatusSeeOther {
			t.Fatalf("upload: %d", code)
		}
		_, page := fin.get(dayURL)
		got, shown := textByID(t, page, "provider-side-warning")
		if shown != (c.want != "") || !strings.Contains(got, c.want) {
			t.Errorf("warning %q (shown %v), want %q", got, shown, c.want)
		}
	}
}
