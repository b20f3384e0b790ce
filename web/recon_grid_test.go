package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// signedOffDay reconciles a day of provider with no payouts (it ties) and
// signs it off.
func signedOffDay(t *testing.T, a *app, provider string, day time.Time) {
	t.Helper()
	ctx := context.Background()
	run, err := a.store.Reconcile(ctx, provider, day, day, day.Add(24*time.Hour), "upload", "finance", nil, false)
	if err == nil {
		_, err = a.store.SignOff(ctx, run.ID, store.Actor{Name: "finance@example.com"})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// gridFixture is the last 14 days of four providers, nearly all signed off:
// razorpayx (lists) never ran yesterday, nxtbanking (lists) ties two days ago
// and never ran three days ago, xendit (no listing) has a day with an open
// difference four days ago and no report for the others, paywize (no
// listing) no report at all. Twenty days ago, before the grid's range,
// nxtbanking has seven open differences.
func gridFixture(t *testing.T, a *app) {
	t.Helper()
	for n := 1; n <= 14; n++ {
		if n != 1 {
			signedOffDay(t, a, "razorpayx", pastDay(n))
		}
		if n != 2 && n != 3 {
			signedOffDay(t, a, "nxtbanking", pastDay(n))
		}
	}
	ctx := context.Background()
	d2 := pastDay(2)
	if _, err := a.store.Reconcile(ctx, "nxtbanking", d2, d2, d2.Add(24*time.Hour), "list", "day-end", nil, false); err != nil {
		t.Fatal(err)
	}
	d4 := pastDay(4)
	unknown := []payout.ProviderRecord{{ProviderPayoutID: "disb-5f0c2b1e-7a44-4a8e-9b0e-3c1d2e4f5a6b",
		ReferenceID: "X-404",
		Amount:      payout.Money{Minor: 150000000, Currency: "IDR"}, Status: payout.Succeeded}}
	if _, err := a.store.Reconcile(ctx, "xendit", d4, d4, d4.Add(24*time.Hour), "upload", "finance", unknown, false); err != nil {
		t.Fatal(err)
	}
	old := pastDay(20)
	fx := pgtest.NewReconFixtureOf(t, a.store, old, "nxtbanking")
	if _, err := a.store.Reconcile(ctx, "nxtbanking", old, old, old.Add(24*time.Hour), "upload", "finance",
		fx.Records, false); err != nil {
		t.Fatal(err)
	}
}

// cellsOf returns the grid's cells by id ("cell-nxtbanking-2026-11-20").
func cellsOf(t *testing.T, page string) map[string]*html.Node {
	t.Helper()
	grid := byID(t, page, "recon-grid")
	if grid == nil {
		t.Fatal("no grid")
	}
	cells := map[string]*html.Node{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && strings.HasPrefix(attr(n, "id"), "cell-") {
			cells[attr(n, "id")] = n
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(grid)
	return cells
}

func hasRunNow(cell *html.Node) bool {
	run := func(n *html.Node) bool { return n.Data == "form" && strings.HasSuffix(attr(n, "action"), "/run") }
	return find(cell, run) != nil
}

// gridRows returns the ids of the grid's rows ("day-2026-11-20").
func gridRows(t *testing.T, page string) []string {
	t.Helper()
	var rows []string
	for n := range byID(t, page, "recon-grid").Descendants() {
		if n.Data == "tr" && strings.HasPrefix(attr(n, "id"), "day-") {
			rows = append(rows, attr(n, "id"))
		}
	}
	return rows
}

// The needs-action view shows only the days with a cell that needs finance
// (open differences, a day to sign off, a day Run now can reconcile) and
// only those cells, with Run now only where it is the step. The toggle
// keeps the range.
func TestReconGridNeedsAction(t *testing.T) {
	a := newApp(t, withProviders(), withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	gridFixture(t, a)
	fin := a.client()
	fin.login("finance@example.com")
	date := func(n int) string { return pastDay(n).Format(time.DateOnly) }

	code, page := fin.get("/reconciliation?view=action")
	if rows := gridRows(t, page); code != http.StatusOK || strings.Join(rows, " ") !=
		"day-"+date(1)+" day-"+date(2)+" day-"+date(3)+" day-"+date(4) {
		t.Errorf("needs action: %d, days %v; want yesterday and 2 to 4 days ago", code, rows)
	}
	want := map[string]string{ // what each shown cell needs
		"cell-razorpayx-" + date(1): "run", "cell-nxtbanking-" + date(2): "sign_off", "cell-nxtbanking-" + date(3): "run",
		"cell-xendit-" + date(4): "resolve",
	}
	cells := cellsOf(t, page)
	for id, c := range cells {
		quiet := hasClass(c, "rc-quiet")
		if step, ok := want[id]; ok != !quiet || (ok && attr(c, "data-step") != step) {
			t.Errorf("%s: quiet %v, step %q; want step %q", id, quiet, attr(c, "data-step"), want[id])
		}
		if hasRunNow(c) != (want[id] == "run") {
			t.Errorf("%s: Run now %v", id, hasRunNow(c))
		}
	}
	if got, _ := textByID(t, page, "actions-count"); got != "31" {
		t.Errorf("needs action count %q, want 31 (4 cells, 27 reports)", got)
	}
	_, page = fin.get("/reconciliation?view=action&to=" + date(3))
	if all := byID(t, page, "view-all"); attr(all, "href") != "/reconciliation?to="+date(3) {
		t.Errorf("every day, same range: %q", attr(all, "href"))
	}
	if code, _ := fin.get("/reconciliation?view=everything"); code != http.StatusBadRequest {
		t.Errorf("an unknown view: %d, want 400", code)
	}
}

// Days never reconciled of a provider that lists nothing are asked for
// once per provider, as reports to upload linking to each day's upload
// form, in either view; their cells never offer Run now.
func TestReconGridAsksForReportsOnce(t *testing.T) {
	a := newApp(t, withProviders(), withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	gridFixture(t, a)
	fin := a.client()
	fin.login("finance@example.com")
	date := func(n int) string { return pastDay(n).Format(time.DateOnly) }
	for _, path := range []string{"/reconciliation", "/reconciliation?view=action"} {
		_, page := fin.get(path)
		for provider, days := range map[string]int{"xendit": 13, "paywize": 14} {
			box := byID(t, page, "uploads-"+provider)
			if box == nil {
				t.Fatalf("%s: no uploads due for %s", path, provider)
			}
			var links []string
			for c := range box.Descendants() {
				if c.Data == "a" {
					links = append(links, attr(c, "href"))
				}
			}
			if len(links) != days || links[0] != "/reconciliation/"+provider+"/"+date(1)+"#upload" {
				t.Errorf("%s: %s has %d days to upload (%v); want %d", path, provider, len(links), links, days)
			}
		}
	}
	// Finance is asked to upload; ops, who cannot, is told a report is due.
	a.addUser("ops@example.com", payout.RoleOps)
	ops := a.client()
	ops.login("ops@example.com")
	for who, c := range map[string]*client{"Upload a settlement report": fin, "A settlement report is due": ops} {
		_, page := c.get("/reconciliation")
		if got, _ := textByID(t, page, "uploads-xendit"); !strings.HasPrefix(got, who) {
			t.Errorf("the uploads due read %q, want %q first", got, who)
		}
	}
	_, page := fin.get("/reconciliation")
	cells := cellsOf(t, page)
	if len(cells) != 14*4 {
		t.Errorf("%d cells, want 56", len(cells))
	}
	for id, c := range cells {
		if attr(c, "data-step") == "upload" && (textOf(c) != "No report yet" || hasRunNow(c)) {
			t.Errorf("%s, never reconciled, has no list: %q, Run now %v", id, textOf(c), hasRunNow(c))
		}
	}
	if c := cells["cell-paywize-"+date(5)]; attr(c, "data-step") != "upload" {
		t.Errorf("a paywize day never reconciled needs %q", attr(c, "data-step"))
	}
	if got, _ := textByID(t, page, "recon-not-run"); got != "29" {
		t.Errorf("not reconciled: %s, want 29", got)
	}
}

// The grid says how many differences of days before its range are still
// open, and a day's page how many of its provider's earlier days, linking to
// those days; with none, nothing is said. Closing some lowers the count.
func TestReconCarriesEarlierDifferences(t *testing.T) {
	a := newApp(t, withProviders(), withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	gridFixture(t, a)
	fin := a.client()
	fin.login("finance@example.com")
	date := func(n int) string { return pastDay(n).Format(time.DateOnly) }

	for _, path := range []string{"/reconciliation", "/reconciliation?view=action"} {
		_, page := fin.get(path)
		if got, _ := textByID(t, page, "carried"); got != "7 differences from earlier days still open: nxtbanking "+
			pastDay(20).Format("Mon 2 Jan 2006")+" 7 open" {
			t.Errorf("%s: carried forward %q", path, got)
		}
		link := find(byID(t, page, "carried"), func(n *html.Node) bool { return hasClass(n, "day-link") })
		if attr(link, "href") != "/reconciliation/nxtbanking/"+date(20) {
			t.Errorf("%s: carried forward links to %q", path, attr(link, "href"))
		}
	}
	_, page := fin.get("/reconciliation/nxtbanking/" + date(1))
	if got, _ := textByID(t, page, "carried"); got != "7 differences from earlier days still open: "+
		pastDay(20).Format("Mon 2 Jan 2006")+" 7 open" {
		t.Errorf("nxtbanking yesterday: %q", got)
	}
	_, page = fin.get("/reconciliation/xendit/" + date(1))
	if got, _ := textByID(t, page, "carried"); got != "1 difference from earlier days still open: "+
		pastDay(4).Format("Mon 2 Jan 2006")+" 1 open" {
		t.Errorf("xendit yesterday: %q", got)
	}
	for _, path := range []string{"/reconciliation/nxtbanking/" + date(20), "/reconciliation/paywize/" + date(1)} {
		if _, page := fin.get(path); byID(t, page, "carried") != nil {
			t.Errorf("%s says earlier differences are open", path)
		}
	}
	// Closing some of them lowers the count.
	v := mustVersions(t, a, "nxtbanking", pastDay(20))[0]
	diffs, _ := a.store.ReconDiffs(context.Background(), v.ID, store.ReconDiffFilter{Limit: 3})
	ids := []int64{diffs[0].ID, diffs[1].ID, diffs[2].ID}
	if _, err := a.store.ResolveDiffs(context.Background(), v.ID, ids, store.Actor{Name: "finance@example.com"},
		"booked by hand", false); err != nil {
		t.Fatal(err)
	}
	_, page = fin.get("/reconciliation/nxtbanking/" + date(1))
	if got, _ := textByID(t, page, "carried"); !strings.HasPrefix(got, "4 differences from earlier days still open") {
		t.Errorf("after closing three: %q", got)
	}
}

// A provider no longer configured here, through which payops sent live
// payouts on a day, still has that day reconciled: the grid asks for its
// settlement report, the day's page takes it. Its other days are nothing.
func TestAnUnconfiguredProvidersLiveDaysAreReconciled(t *testing.T) {
	a := newApp(t, withLiveProvider()) // nxtbanking alone is configured
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(2)
	date := day.Format(time.DateOnly)
	a.addPayoutFor("PW-GONE-1", "paywize", payout.Succeeded, time.Since(day.Add(12*time.Hour)))
	fin := a.client()
	fin.login("finance@example.com")
	_, page := fin.get("/reconciliation")
	cells := cellsOf(t, page)
	if c := cells["cell-paywize-"+date]; attr(c, "data-step") != "upload" || textOf(c) != "No report yet" {
		t.Fatalf("paywize's day with a live payout: step %q, %q", attr(c, "data-step"), textOf(c))
	}
	if c := cells["cell-paywize-"+pastDay(3).Format(time.DateOnly)]; attr(c, "data-step") != "" || textOf(c) != "—" {
		t.Errorf("paywize's day without one: step %q, %q", attr(c, "data-step"), textOf(c))
	}
	if byID(t, page, "uploads-paywize") == nil {
		t.Error("no settlement report asked of paywize")
	}
	dayURL := "/reconciliation/paywize/" + date
	code, page := fin.get(dayURL)
	if got, _ := textByID(t, page, "day-empty"); code != http.StatusOK || !strings.Contains(got, "not configured here: upload") {
		t.Fatalf("the day's page: %d, %q", code, got)
	}
	if code, _ := fin.get("/reconciliation/paywize/" + pastDay(3).Format(time.DateOnly)); code != http.StatusNotFound {
		t.Errorf("a day it sent nothing on: %d", code)
	}
	report := settlementCSV([]payout.ProviderRecord{{ProviderPayoutID: sandbox.PayoutIDFor("PW-GONE-1"),
		ReferenceID: "PW-GONE-1", Status: payout.Succeeded, Amount: payout.Money{Minor: 125050, Currency: "INR"}}})
	if code, _, h := fin.upload(dayURL+"/upload", "report", "paywize.csv", report); code != http.StatusSeeOther ||
		strings.Contains(h.Get("Location"), "refused") {
		t.Fatalf("upload: %d to %q", code, h.Get("Location"))
	}
	v, err := a.store.ReconVersions(context.Background(), "paywize", day)
	if err != nil || len(v) != 1 || !v[0].Ties {
		t.Fatalf("versions %+v, %v: want one that ties", v, err)
	}
}

// With no live provider configured, reconciled or sent through in the
// range, the grid says so, and what makes days appear; it does not tell
// finance to set credentials it cannot.
func TestAnEmptyGridSaysWhy(t *testing.T) {
	a := newApp(t) // the sandbox alone: test payouts, never reconciled
	a.addUser("finance@example.com", payout.RoleFinance)
	fin := a.client()
	fin.login("finance@example.com")
	_, page := fin.get("/reconciliation")
	if got, _ := textByID(t, page, "grid-empty"); !strings.HasPrefix(got, "No day to reconcile from") ||
		!strings.Contains(got, "an admin sets a provider's credentials") {
		t.Errorf("the empty grid reads %q", got)
	}
}

// A refusal for a role names who may take the action; an admin is not told
// to ask an admin.
func TestAForbiddenActionSaysWhoMay(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)
	dayURL := "/reconciliation/nxtbanking/" + pastDay(2).Format(time.DateOnly)
	for who, want := range map[string]string{
		"admin@example.com": "Only finance may upload settlement reports, resolve differences, sign days off; your role, admin, may not.",
		"ops@example.com":   "Only finance may upload settlement reports, resolve differences, sign days off; your role, ops, may not. Ask an admin if you need it.",
	} {
		c := a.client()
		c.login(who)
		code, page, _ := c.do("POST", dayURL+"/signoff", nil, map[string]string{"Referer": a.srv.URL + dayURL})
		if got, _ := textByID(t, page, "error"); code != http.StatusForbidden || !strings.Contains(got, want) {
			t.Errorf("%s: %d, %q; want %q", who, code, got, want)
		}
		// The refusal leads back to the page the post came from.
		if back := byID(t, page, "error-back"); back == nil || attr(back, "href") != dayURL {
			t.Errorf("%s: no way back to %s", who, dayURL)
		}
	}
}
