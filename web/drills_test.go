package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"payops/drill"
	"payops/payout"
	"payops/store"
)

// An admin starts a drill from /drills, watches its progress bar move on
// the drill's page and reads its report when it passes; the drill is in the
// past list after. Its payouts stay out of the overview's totals and the
// stuck list. Ops has no Drills link and is refused.
func TestBrowserAdminRunsDrill(t *testing.T) {
	a := newApp(t, withDrills())
	a.addUser("admin@example.com", payout.RoleAdmin)
	a.addUser("ops@example.com", payout.RoleOps)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	step(t, ctx, "open the drills page",
		chromedp.Navigate(a.srv.URL+"/drills"),
		chromedp.WaitVisible(chromedp.CSS("#drill-form")),
		chromedp.WaitVisible(chromedp.CSS("#no-drills")),
	)
	screenshot(t, ctx, "drills-empty")
	shots(t, ctx, "drills-empty")
	formStartsAsAdvised(t, ctx)
	step(t, ctx, "start a happy drill of 12 payouts",
		chromedp.Click(chromedp.CSS(`input[value="happy"]`)),
		chromedp.SetValue(chromedp.CSS(`input[name="payouts"]`), "12"),
		chromedp.Click(chromedp.CSS("#start-drill")),
		chromedp.WaitVisible(chromedp.CSS("#drill-panel")),
	)
	screenshot(t, ctx, "drill-running")
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS("#drill-report"))); err != nil {
		runs, _ := a.store.DrillRuns(context.Background(), 1)
		t.Fatalf("the report did not appear: %v (%+v)", err, runs)
	}
	if got := text(t, ctx, "#drill-state"); got != "passed" {
		t.Errorf("drill state %q, want passed", got)
	}
	if got := text(t, ctx, "#drill-report"); !strings.Contains(got, "Payouts not converged") || !strings.Contains(got, "Webhooks sent") {
		t.Errorf("report %q", got)
	}
	screenshot(t, ctx, "drill-report")
	shots(t, ctx, "drill-report")
	step(t, ctx, "open the drill's payouts from its report, with Test off",
		chromedp.Click(chromedp.CSS("#drill-payouts button")),
		chromedp.WaitVisible(chromedp.CSS("#payouts-table")),
	)
	if got := text(t, ctx, "#payouts-count"); got != "12 payouts" {
		t.Errorf("the drill's payouts list counts %q, want its 12 payouts", got)
	}
	if got := text(t, ctx, "#test-data-banner"); !strings.Contains(got, "test data") {
		t.Errorf("the list opened without the test-data banner: %q", got)
	}
	step(t, ctx, "back to the report", chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS("#drill-report")))
	took := text(t, ctx, "#drill-report tbody tr:last-child td.num")
	if !spanFormat.MatchString(took) || !strings.Contains(text(t, ctx, "#drill-panel .drill-head"), "took ") {
		t.Errorf("time to converge %q is not in the dashboard's one format", took)
	}
	step(t, ctx, "back to the list",
		chromedp.Navigate(a.srv.URL+"/drills"),
		chromedp.WaitVisible(chromedp.CSS("#drill-runs")),
	)
	if got := text(t, ctx, "#drill-runs tbody"); !strings.Contains(got, "passed") || !strings.Contains(got, "happy") {
		t.Errorf("past drills %q", got)
	}
	screenshot(t, ctx, "drills")
	shots(t, ctx, "drills")
	if got := text(t, ctx, "#drill-runs tbody td:nth-child(3)"); got != "IN" {
		t.Errorf("the list's market %q, want IN (the form's default)", got)
	}
	if got := text(t, ctx, "#drill-runs tbody td:nth-child(6)"); got != took {
		t.Errorf("the list's time to converge %q, the report's %q", got, took)
	}

	// The drill's 12 payouts exist, and count nowhere real.
	bg := context.Background()
	if p, err := a.store.PayoutByRef(bg, "DRILL1-00012", store.First(true)); err != nil || p.Provider != payout.DrillProvider {
		t.Fatalf("drill payout: %+v %v", p, err)
	}
	counts, err := a.store.StatusCounts(bg, false)
	if err != nil || len(counts) != 0 {
		t.Errorf("overview counts drill payouts: %+v %v", counts, err)
	}
	stuck, total, err := a.store.StuckPayouts(bg, store.StuckFilter{Before: time.Now().Add(time.Hour), Limit: 10})
	if err != nil || total.All != 0 || len(stuck) != 0 {
		t.Errorf("stuck list shows drill payouts: %d %v", total.All, err)
	}

	// Ops: no link, and refused.
	c := a.client()
	c.login("ops@example.com")
	if code, body := c.get("/"); code != http.StatusOK || strings.Contains(body, `href="/drills"`) {
		t.Errorf("ops overview: %d, Drills link shown: %v", code, strings.Contains(body, `href="/drills"`))
	}
	if code, _ := c.get("/drills"); code != http.StatusForbidden {
		t.Errorf("ops GET /drills: %d, want 403", code)
	}
	if code, _ := post(c, "/drills", url.Values{"scenario": {"happy"}, "payouts": {"5"}}); code != http.StatusForbidden {
		t.Errorf("ops POST /drills: %d, want 403", code)
	}
}

// Bad drill requests are refused with the form and a message; a second
// drill while one runs is refused; nothing is started.
func TestDrillRequestsRefused(t *testing.T) {
	a := newApp(t, withDrills())
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	for _, form := range []url.Values{
		{"scenario": {"meteor-strike"}, "payouts": {"10"}},
		{"scenario": {"happy"}, "payouts": {"0"}},
		{"scenario": {"happy"}, "payouts": {"2001"}},
		{"scenario": {"happy"}, "payouts": {"ten"}},
		{"scenario": {"happy"}, "payouts": {"10"}, "market": {"India"}},
	} {
		code, body := post(c, "/drills", form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="drill-error"`) {
			t.Errorf("%v: %d", form, code)
		}
	}
	runs, err := a.store.DrillRuns(context.Background(), 10)
	if err != nil || len(runs) != 0 {
		t.Fatalf("refused requests started drills: %v %v", runs, err)
	}
	if code, _ := post(c, "/drills", url.Values{"scenario": {"reversals"}, "payouts": {"3"}, "market": {"ph"}}); code != http.StatusSeeOther {
		t.Fatalf("start: %d", code)
	}
	// The drill is PH's, and so are its payouts.
	if runs, err := a.store.DrillRuns(context.Background(), 1); err != nil || len(runs) != 1 || runs[0].Market != "PH" {
		t.Fatalf("drill started for PH: %+v %v", runs, err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p, err := a.store.PayoutByRef(context.Background(), "DRILL1-00001", store.First(true))
		if err == nil {
			if p.Market != "PH" || p.Livemode {
				t.Errorf("drill payout to %s, livemode %v; want PH, a test payout", p.Market, p.Livemode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drill's first payout did not come: %v", err)
		}
	}
	if code, body := post(c, "/drills", url.Values{"scenario": {"happy"}, "payouts": {"3"}}); code != http.StatusConflict ||
		!strings.Contains(body, "drill is running already") {
		t.Errorf("second drill while one runs: %d", code)
	}
}

// formStartsAsAdvised checks the drills form starts with the first drill
// the page advises.
func formStartsAsAdvised(t *testing.T, ctx context.Context) {
	t.Helper()
	if got := eval[string](t, ctx, `document.querySelector("#drill-form input[name=payouts]").value`); got != "50" {
		t.Errorf("the form starts with %s payouts", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#drill-market").value`); got != "IN" {
		t.Errorf("the form starts with market %s", got)
	}
	checked := `document.querySelector("#drill-form input[name=scenario]:checked").value`
	if got := eval[string](t, ctx, checked); got != "happy" {
		t.Errorf("the form starts with scenario %s", got)
	}
	if got := text(t, ctx, "#no-drills"); !strings.Contains(got, "Start with happy and 50 payouts") {
		t.Errorf("the advice %q is not the form's choice", got)
	}
}

// spanFormat is the dashboard's one way of saying a duration (handlers.span).
var spanFormat = regexp.MustCompile(`^(\d+ ms|\d+(\.\d)? s|\d+ min( \d+ s)?|\d+ h( \d+ min)?|\d+ d( \d+ h)?)$`)

func post(c *client, path string, form url.Values) (int, string) {
	c.t.Helper()
	code, body, _ := c.do("POST", path, form, nil)
	return code, body
}

// The drills form offers every scenario with its description, downtime
// included.
func TestDrillFormOffersEveryScenario(t *testing.T) {
	a := newApp(t, withDrills())
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	code, page := c.get("/drills")
	if code != http.StatusOK {
		t.Fatalf("GET /drills: %d", code)
	}
	form := byID(t, page, "drill-form")
	if form == nil {
		t.Fatal("no #drill-form")
	}
	if !slices.Contains(drill.Names(), "downtime") {
		t.Error("no downtime scenario")
	}
	for _, name := range drill.Names() {
		input := find(form, func(n *html.Node) bool { return n.Data == "input" && attr(n, "value") == name })
		if input == nil {
			t.Errorf("no scenario %s in the form", name)
			continue
		}
		label := input.Parent
		if got := textOf(label); !strings.Contains(got, drill.Descriptions[name]) || drill.Descriptions[name] == "" {
			t.Errorf("scenario %s: %q, want its description", name, got)
		}
	}
}

// A downtime drill's report shows what was sent while paused and the
// failure-case figures among the must-be-zero ones, a figure not zero
// marked bad, and the provider's downtime notices.
func TestDowntimeDrillReport(t *testing.T) {
	a := newApp(t, withDrills())
	a.addUser("admin@example.com", payout.RoleAdmin)
	ctx := context.Background()
	run, err := a.store.StartDrillRun(ctx, store.NewDrillRun{Scenario: "downtime", Payouts: 30},
		store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	report := drill.Report{Scenario: "downtime", Payouts: 30, SentWhilePaused: 2, CasesChecked: true, StrayCases: 0,
		Converged: 19 * time.Second}
	report.Sandbox.DowntimeNotices, report.Sandbox.DowntimeErrors = 2, 2
	if err := a.store.FinishDrillRun(ctx, run.ID, store.DrillFailed, report, ""); err != nil {
		t.Fatal(err)
	}
	c := a.client()
	c.login("admin@example.com")
	code, page := c.get("/drills/" + strconv.FormatInt(run.ID, 10))
	if code != http.StatusOK {
		t.Fatalf("GET the drill: %d", code)
	}
	rep := byID(t, page, "drill-report")
	if rep == nil {
		t.Fatal("no #drill-report")
	}
	rows := map[string]*html.Node{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			if td := find(n, func(m *html.Node) bool { return m.Data == "td" }); td != nil {
				rows[textOf(td)] = n
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(rep)
	for label, want := range map[string]string{"Payouts sent while paused by a downtime notice": "2",
		"Failed payouts without a failure case": "0", "Failure or anomaly cases where none belongs": "0",
		"Downtime notices": "2", "Refused in the outage (503)": "2"} {
		row := rows[label]
		if row == nil {
			t.Errorf("no row %q", label)
			continue
		}
		if got := textOf(find(row, func(n *html.Node) bool { return hasClass(n, "num") })); got != want {
			t.Errorf("%s: %s, want %s", label, got, want)
		}
		if bad := hasClass(row, "row-bad"); bad != (label == "Payouts sent while paused by a downtime notice") {
			t.Errorf("%s: marked bad %v", label, bad)
		}
	}
}
