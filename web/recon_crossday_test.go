package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/adapters/sandbox"
	"payops/payout"
)

// Finance uploads two days' settlement reports; a payout payops recorded
// sent at 23:59:58 is on the provider's report of the next day. The first
// day shows it missing at the provider until the next day's report comes:
// then it is resolved there with a note saying where it was reported, the
// next day lists it "Across midnight", counted there, and the first day can
// be signed off.
func TestFinanceSeesAPayoutReportedTheNextDay(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	day, next := pastDay(3), pastDay(2)
	sent := map[string]time.Time{"XDAY-NOON": day.Add(12 * time.Hour), "XDAY-LATE": next.Add(-2 * time.Second),
		"XNEXT-NOON": next.Add(12 * time.Hour)}
	for ref, at := range sent {
		a.addPayoutFor(ref, "nxtbanking", payout.Succeeded, time.Hour)
		a.store.DB().MustExec(`UPDATE payouts SET submitted_at = $2, created_at = $2 WHERE reference_id = $1`, ref, at)
	}
	record := func(ref string) payout.ProviderRecord {
		return payout.ProviderRecord{ProviderPayoutID: sandbox.PayoutIDFor(ref), ReferenceID: ref,
			Amount: payout.Money{Minor: 125050, Currency: "INR"}, Status: payout.Succeeded}
	}
	fin := a.client()
	fin.login("finance@example.com")
	dayURL, nextURL := "/reconciliation/nxtbanking/"+day.Format(time.DateOnly), "/reconciliation/nxtbanking/"+next.Format(time.DateOnly)
	upload := func(url string, refs ...string) {
		t.Helper()
		var records []payout.ProviderRecord
		for _, r := range refs {
			records = append(records, record(r))
		}
		if code, _, h := fin.upload(url+"/upload", "report", "report.csv", settlementCSV(records)); code != http.StatusSeeOther {
			t.Fatalf("upload to %s: %d %v", url, code, h)
		}
	}

	upload(dayURL, "XDAY-NOON")
	if _, page := fin.get(dayURL); !strings.Contains(page, "1 open difference") || !strings.Contains(page, "XDAY-LATE") {
		t.Fatalf("the first day before the next is reconciled:\n%s", page)
	}
	upload(nextURL, "XNEXT-NOON", "XDAY-LATE")
	code, page := fin.get(nextURL)
	if code != 200 || !strings.Contains(page, "Ties") {
		t.Fatalf("the next day: %d\n%s", code, page)
	}
	if n := byID(t, page, "across-days"); n == nil || !strings.Contains(textOf(n), "XDAY-LATE") ||
		!strings.Contains(textOf(n), "here: in this day's records") {
		t.Fatalf("the next day's payouts across midnight: %v\n%s", n, page)
	}
	if got, _ := textByID(t, page, "across-summary"); got != "1 payout sent on another day is in this day's provider records: counted here." {
		t.Fatalf("summary: %q", got)
	}

	_, page = fin.get(dayURL)
	if got, _ := textByID(t, page, "day-state"); got != "Resolved · to sign off" {
		t.Errorf("the first day after the next: %q, want Resolved · to sign off", got)
	}
	if want := payout.ReportedOnAnotherDay(next, 1); !strings.Contains(page, want) {
		t.Fatalf("the first day's difference is not resolved with %q:\n%s", want, page)
	}

	// Uploaded again, the first day leaves the payout to the next day,
	// where it was reported: no difference, one payout fewer in its totals,
	// and the page says where it is counted.
	upload(dayURL, "XDAY-NOON")
	_, page = fin.get(dayURL)
	if got, _ := textByID(t, page, "day-state"); got != "Ties · to sign off" {
		t.Errorf("the first day run again: %q, want Ties · to sign off", got)
	}
	n := byID(t, page, "across-days")
	if n == nil || !strings.Contains(textOf(n), "XDAY-LATE") || !strings.Contains(textOf(n), "on "+next.Format(time.DateOnly)) {
		t.Fatalf("the first day's payouts across midnight: %v\n%s", n, page)
	}
	link := find(n, func(m *html.Node) bool { return m.Data == "a" && attr(m, "href") == nextURL })
	if link == nil {
		t.Errorf("no link to the day the payout is counted on")
	}
	if code, _, h := fin.do("POST", dayURL+"/signoff", url.Values{"version": {"2"}}, nil); code != http.StatusSeeOther {
		t.Fatalf("sign off the first day: %d %v", code, h)
	}
	if byID(t, page, "counted-twice") != nil {
		t.Error("a payout counted once, on the next day, is said to be counted twice")
	}

	// The next day's report names XDAY-NOON too, already counted on its
	// own day: both days say it is in both days' totals.
	upload(nextURL, "XNEXT-NOON", "XDAY-LATE", "XDAY-NOON")
	for url, other := range map[string]string{nextURL: day.Format(time.DateOnly) + " v2", dayURL: next.Format(time.DateOnly) + " v2"} {
		_, page := fin.get(url)
		if got, _ := textByID(t, page, "counted-twice"); !strings.Contains(got, "XDAY-NOON — also on "+other) ||
			strings.Contains(got, "XDAY-LATE") {
			t.Errorf("%s: counted twice %q, want XDAY-NOON also on %s", url, got, other)
		}
	}
}
