package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"payops/jobs"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// upload posts a file as a multipart form, as a browser's file input does.
func (c *client) upload(path, field, filename string, content []byte) (int, string, http.Header) {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return c.send("POST", path, &body, map[string]string{"Content-Type": mw.FormDataContentType()})
}

// settlementCSV writes provider records as a settlement report.
func settlementCSV(records []payout.ProviderRecord) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(payout.SettlementColumns)
	for _, r := range records {
		fee := ""
		if r.Fee != nil {
			fee = payout.Money{Minor: *r.Fee, Currency: r.Amount.Currency}.Decimal()
		}
		w.Write([]string{r.ProviderPayoutID, r.ReferenceID, r.Amount.Decimal(), r.Amount.Currency, string(r.Status), fee, ""})
	}
	w.Flush()
	return b.Bytes()
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return rows
}

// pastDay is a complete business day (UTC) a few days back.
func pastDay(days int) time.Time {
	d, _, _ := jobs.BusinessDay(time.Now().AddDate(0, 0, -days), time.UTC)
	return d
}

// The fixture day with every kind of difference, reconciled from a
// settlement report finance uploads: the same differences and totals as
// reconciling it directly, read back through the CSV exports. A malformed
// report is refused whole with its line; other roles cannot upload, run,
// resolve or sign off.
func TestReconciliationFromAnUploadedReport(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addUser("compliance@example.com", payout.RoleCompliance)
	day := pastDay(3)
	fx := pgtest.NewReconFixtureOf(t, a.store, day, "nxtbanking")
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
	fin := a.client()
	fin.login("finance@example.com")

	bad := strings.Replace(string(settlementCSV(fx.Records)), "2001.00", "2001.005", 1)
	if got := refusedUpload(t, fin, dayURL, []byte(bad)); !strings.Contains(got, "line 3") {
		t.Fatalf("malformed report: %q", got)
	}
	huge := strings.Replace(string(settlementCSV(fx.Records)), "2001.00", "99999999999999.00", 1)
	if got := refusedUpload(t, fin, dayURL, []byte(huge)); !strings.Contains(got, "line 3") {
		t.Fatalf("a report with a huge amount: %q", got)
	}
	if v, _ := a.store.ReconVersions(context.Background(), "nxtbanking", day); len(v) != 0 {
		t.Fatalf("a refused report made %d versions", len(v))
	}

	ops := a.client()
	ops.login("ops@example.com")
	if code, _, _ := ops.upload(dayURL+"/upload", "report", "report.csv", settlementCSV(fx.Records)); code != http.StatusForbidden {
		t.Errorf("ops uploading: %d, want 403", code)
	}
	code, _, h := fin.upload(dayURL+"/upload", "report", "report.csv", settlementCSV(fx.Records))
	if code != http.StatusSeeOther || h.Get("Location") != dayURL+"?done=uploaded" {
		t.Fatalf("upload: %d %v", code, h)
	}
	code, page := fin.get(dayURL + "?done=uploaded")
	if code != 200 || !strings.Contains(page, "7 open differences") || !strings.Contains(page, "Settlement report imported") {
		t.Fatalf("day page: %d\n%s", code, page)
	}
	// The day's payouts are those sent that day, as the run takes them.
	d := day.Format(time.DateOnly)
	if n := byID(t, page, "day-payouts"); n == nil || attr(n, "href") != "/payouts?provider=nxtbanking&sent_from="+d+"&sent_to="+d {
		t.Errorf("the day's payouts link %v", n)
	}

	// An unknown kind is refused, as on the page, not an empty file.
	if code, body, h := fin.do("GET", dayURL+"/diffs.csv?kind=bogus", nil, nil); code != http.StatusBadRequest ||
		!strings.Contains(body, `There is no kind of difference &#34;bogus&#34;`) || h.Get("Content-Disposition") != "" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("diffs export of an unknown kind: %d %v %.300s", code, h, body)
	}
	// Row by row, through the export.
	code, body, h := fin.do("GET", dayURL+"/diffs.csv", nil, nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
		!strings.Contains(h.Get("Content-Disposition"), "payops-nxtbanking-"+day.Format(time.DateOnly)+"-v1-differences.csv") {
		t.Fatalf("diffs export: %d %v", code, h)
	}
	rows := readCSV(t, body)
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[1]+":"+r[2])
		if r[1] == "amount_mismatch" && (r[4] != "2000.00" || r[6] != "2001.00" || r[12] != "open") {
			t.Errorf("amount row %v", r)
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(fx.Diffs, " ") {
		t.Errorf("diffs\n got %v\nwant %v", got, fx.Diffs)
	}
	// And in the totals per currency.
	code, body, _ = fin.do("GET", dayURL+"/totals.csv", nil, nil)
	rows = readCSV(t, body)
	if code != 200 || len(rows) != 1+len(fx.Totals) {
		t.Fatalf("totals export: %d %v", code, rows)
	}
	for i, want := range fx.Totals {
		m := func(v int64) string { return payout.Money{Minor: v, Currency: want.Currency}.Decimal() }
		w := []string{want.Currency, fmt.Sprint(want.OursCount), m(want.OursSum), fmt.Sprint(want.TheirsCount), m(want.TheirsSum),
			m(want.OursSum - want.TheirsSum), m(want.OursFees), m(want.TheirsFees), "false", "1", "", ""}
		if strings.Join(rows[i+1], ",") != strings.Join(w, ",") {
			t.Errorf("totals row %d\n got %v\nwant %v", i, rows[i+1], w)
		}
	}

	// Only finance closes differences and days; nobody closes one without a note.
	diffs, _ := a.store.ReconDiffs(context.Background(), mustLatest(t, a, "nxtbanking", day).ID, store.ReconDiffFilter{Kind: "missing_in_payops"})
	resolve := fmt.Sprintf("/reconciliation/diffs/%d/resolve", diffs[0].ID)
	if code, _, _ := ops.do("POST", resolve, url.Values{"note": {"looks fine to me"}, "as": {"accepted"}}, nil); code != http.StatusForbidden {
		t.Errorf("ops resolving: %d, want 403", code)
	}
	if code, body, _ := fin.do("POST", resolve, url.Values{"note": {""}, "as": {"accepted"}}, nil); code != http.StatusBadRequest || !strings.Contains(body, "at least 5 characters") {
		t.Errorf("resolving without a note: %d %s", code, body)
	}
	// Resolving from a filtered list comes back to the same list.
	code, _, h = fin.do("POST", resolve, url.Values{"note": {"a test payout at the provider"}, "as": {"accepted"},
		"back": {"kind=missing_in_payops&evil=1"}}, nil)
	if want := fmt.Sprintf("%s?done=resolved&kind=missing_in_payops&v=1#diff-%d", dayURL, diffs[0].ID); code != http.StatusSeeOther || h.Get("Location") != want {
		t.Errorf("resolve: %d, to %q, want %q", code, h.Get("Location"), want)
	}
	if code, page := fin.get(dayURL + "?page=100000000000000000"); code != 200 || !strings.Contains(page, `id="diffs"`) {
		t.Errorf("a page past the end: %d", code)
	}
	if code, _, _ := ops.do("POST", dayURL+"/signoff", url.Values{"version": {"1"}}, nil); code != http.StatusForbidden {
		t.Errorf("ops signing off: %d, want 403", code)
	}
	comp := a.client()
	comp.login("compliance@example.com")
	if code, _, _ := comp.do("POST", dayURL+"/run", url.Values{}, nil); code != http.StatusForbidden {
		t.Errorf("compliance running the day: %d, want 403", code)
	}
	if code, body, _ := fin.do("POST", dayURL+"/signoff", url.Values{"version": {"1"}}, nil); code != http.StatusConflict || !strings.Contains(body, "6 differences are still open") {
		t.Errorf("signing off with open differences: %d %s", code, body)
	}
	if run := mustLatest(t, a, "nxtbanking", day); run.OpenDiffs != 6 || run.SignedOffBy != nil {
		t.Errorf("refused actions changed the day: %+v", run)
	}
	if code, page := ops.get("/reconciliation"); code != 200 || !strings.Contains(page, "6 open differences") || strings.Contains(page, "Run now") {
		t.Errorf("grid for ops: %d\n%s", code, page)
	}
	if code, page := ops.get("/"); code != 200 || !strings.Contains(page, `id="recon-total"><span class="tile-number">6</span>`) {
		t.Errorf("overview's reconciliation tile: %d\n%s", code, page)
	}
	if code, _ := fin.get("/reconciliation/nxtbanking/" + time.Now().AddDate(0, 0, 1).Format(time.DateOnly)); code != http.StatusBadRequest {
		t.Errorf("a day not over yet: %d, want 400", code)
	}

	// The provider down: Run now says so and the day stays as it was.
	a.sandbox.Close()
	if code, body, _ := fin.do("POST", dayURL+"/run", url.Values{}, nil); code != http.StatusBadGateway || !strings.Contains(body, "Provider unavailable") {
		t.Errorf("running the day with the provider down: %d %s", code, body)
	}
	if v, _ := a.store.ReconVersions(context.Background(), "nxtbanking", day); len(v) != 1 {
		t.Errorf("a failed run left %d versions", len(v))
	}
}

// refusedUpload uploads a report that is refused: 303 back to the day's
// page, which says why. It returns what the page says.
func refusedUpload(t *testing.T, c *client, dayURL string, report []byte) string {
	t.Helper()
	code, body, h := c.upload(dayURL+"/upload", "report", "report.csv", report)
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, dayURL+"?refused=") || !strings.HasSuffix(loc, "#upload-error") {
		t.Fatalf("refused upload: %d to %q\n%s", code, loc, body)
	}
	code, page := c.get(loc)
	got, ok := textByID(t, page, "upload-error")
	if code != http.StatusOK || !ok || !strings.Contains(got, "Settlement report refused, nothing imported") {
		t.Fatalf("the page after a refused upload: %d, %q", code, got)
	}
	return got
}

func mustLatest(t *testing.T, a *app, provider string, day time.Time) store.ReconRun {
	t.Helper()
	return mustVersions(t, a, provider, day)[0]
}

func mustVersions(t *testing.T, a *app, provider string, day time.Time) []store.ReconRun {
	t.Helper()
	v, err := a.store.ReconVersions(context.Background(), provider, day)
	if err != nil || len(v) == 0 {
		t.Fatalf("versions of %s: %v %v", day, v, err)
	}
	return v
}

// Finance runs yesterday from the grid, opens the day, resolves its one
// difference with a note, downloads the CSV and signs off; ops sees the day
// but no Sign off, and is refused when posting one anyway.
func TestBrowserFinanceSignsOffADay(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("ops@example.com", payout.RoleOps)
	day := pastDay(1)
	date := day.Format(time.DateOnly)
	// A payout payops sent that day which the sandbox never heard of.
	a.addPayoutFor("RC-GHOST", "nxtbanking", payout.Succeeded, time.Since(day.Add(12*time.Hour)))

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "finance@example.com")
	cell := "#cell-nxtbanking-" + date
	step(t, ctx, "open the grid", chromedp.Navigate(a.srv.URL+"/reconciliation"), chromedp.WaitVisible(chromedp.CSS(cell)))
	if got := text(t, ctx, cell); !strings.Contains(got, "Not reconciled") {
		t.Errorf("cell before the run: %q", got)
	}
	step(t, ctx, "run the day now", chromedp.Click(chromedp.CSS(cell+" button")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if got := text(t, ctx, "#day-state"); got != "1 open difference" {
		t.Errorf("state after the run: %q", got)
	}
	if got := text(t, ctx, "#signoff"); !strings.Contains(got, "Resolve or accept the open difference") {
		t.Errorf("sign-off before resolving: %q", got)
	}
	screenshot(t, ctx, "recon-day")
	diffs, _ := a.store.ReconDiffs(context.Background(), mustLatest(t, a, "nxtbanking", day).ID, store.ReconDiffFilter{})
	if len(diffs) != 1 || diffs[0].Kind != "missing_at_provider" {
		t.Fatalf("diffs %+v", diffs)
	}
	row := fmt.Sprintf("#diff-%d", diffs[0].ID)
	step(t, ctx, "re-check the payout", chromedp.Click(chromedp.CSS(row+" button.recheck")),
		chromedp.WaitVisible(chromedp.CSS(row+" .outcome")))
	if got := text(t, ctx, row+" .outcome"); !strings.Contains(got, "Now SUCCEEDED") {
		t.Errorf("re-check result in the row: %q", got)
	}
	step(t, ctx, "resolve with a note",
		chromedp.SendKeys(chromedp.CSS(row+" input[name=note]"), "Paid from the old account; booked by hand"),
		chromedp.Click(chromedp.CSS(row+` button[value=resolved]`)),
		chromedp.WaitVisible(chromedp.CSS("#sign-off")))
	if got := text(t, ctx, row); !strings.Contains(got, "resolved") || !strings.Contains(got, "booked by hand") || !strings.Contains(got, "finance@example.com") {
		t.Errorf("resolved row: %q", got)
	}

	dir := t.TempDir()
	step(t, ctx, "download the differences",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
			return err
		}),
		chromedp.Click(chromedp.CSS("#diffs-csv")))
	file := filepath.Join(dir, "payops-nxtbanking-"+date+"-v1-differences.csv")
	var csvBody []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
			csvBody = b
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no download at %s (folder has %v)", file, entries)
		}
	}
	rows := readCSV(t, string(csvBody))
	if len(rows) != 2 || rows[1][2] != "RC-GHOST" || rows[1][12] != "resolved" || rows[1][13] != "Paid from the old account; booked by hand" {
		t.Errorf("downloaded CSV %v", rows)
	}

	step(t, ctx, "sign off", chromedp.Click(chromedp.CSS("#sign-off")), chromedp.WaitVisible(chromedp.CSS("#signed-off")))
	if got := text(t, ctx, "#signed-off"); !strings.Contains(got, "Signed off by finance@example.com at") {
		t.Errorf("sign-off: %q", got)
	}
	if n := count(t, ctx, "#diffs form"); n != 0 {
		t.Errorf("a signed-off day still has %d forms", n)
	}
	screenshot(t, ctx, "recon-signed")
	step(t, ctx, "back to the grid", chromedp.Navigate(a.srv.URL+"/reconciliation"), chromedp.WaitVisible(chromedp.CSS(cell)))
	if got := text(t, ctx, cell); !strings.Contains(got, "Signed off") || count(t, ctx, cell+" button") != 0 {
		t.Errorf("cell after sign-off: %q, with a Run now button", got)
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	status, err := chromedp.Run(rctx, chromedp.Evaluate[int](
		`fetch("/reconciliation/nxtbanking/`+date+`/run", {method: "POST"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 409 || len(mustVersions(t, a, "nxtbanking", day)) != 1 {
		t.Errorf("running a signed-off day without confirming: %d (%v)", status, err)
	}
	step(t, ctx, "back to the signed-off day", chromedp.Navigate(a.srv.URL+"/reconciliation/nxtbanking/"+date), chromedp.WaitVisible(chromedp.CSS("#signed-off")))
	if n := count(t, ctx, `form[hx-confirm]:has(#run-day) input[name=confirm]`); n != 1 {
		t.Errorf("Run again on a signed-off day asks no confirmation (%d)", n)
	}
	status, err = chromedp.Run(rctx, chromedp.Evaluate[int](
		`fetch("/reconciliation/nxtbanking/`+date+`/run", {method: "POST", body: new URLSearchParams({confirm: "signed-off"})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if v := mustVersions(t, a, "nxtbanking", day); err != nil || status != 200 || len(v) != 2 || v[1].SignedOffBy == nil || v[0].SignedOffBy != nil {
		t.Errorf("running a signed-off day, confirmed: %d (%v), %d versions", status, err, len(v))
	}
	screenshot(t, ctx, "recon-grid")

	// Ops reads a day that is not signed off yet and cannot sign it off.
	if _, err := a.store.Reconcile(context.Background(), "nxtbanking", pastDay(2), pastDay(2), pastDay(1), "upload", "test", nil, false); err != nil {
		t.Fatal(err)
	}
	octx := browser(t)
	signIn(t, octx, a.srv.URL, "ops@example.com")
	other := "/reconciliation/nxtbanking/" + pastDay(2).Format(time.DateOnly)
	step(t, octx, "ops opens a day", chromedp.Navigate(a.srv.URL+other), chromedp.WaitVisible(chromedp.CSS("#signoff")))
	if n := count(t, octx, "#sign-off, #upload, #run-day"); n != 0 {
		t.Errorf("ops sees %d of Sign off, Upload, Run", n)
	}
	rctx, cancel = context.WithTimeout(octx, 15*time.Second)
	defer cancel()
	status, err = chromedp.Run(rctx, chromedp.Evaluate[int](
		`fetch("`+other+`/signoff", {method: "POST", body: new URLSearchParams({version: "1"})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("ops posting a sign-off: %d (%v), want 403", status, err)
	}
	if mustLatest(t, a, "nxtbanking", pastDay(2)).SignedOffBy != nil {
		t.Error("ops' refused sign-off signed the day off")
	}
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+fmt.Sprintf("%q", sel)+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// A signed-off day whose payouts changed since (a late reversal) says so on
// its page: the sign-off stands, and finance knows to run the day again.
func TestASignedOffDaySaysWhatChangedSince(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	ctx := context.Background()
	day := pastDay(1)
	a.addPayoutFor("RC-LATE", "nxtbanking", payout.Succeeded, time.Since(day.Add(12*time.Hour)))
	a.store.DB().MustExec(`UPDATE payouts SET submitted_at = created_at WHERE reference_id = 'RC-LATE'`)
	p, err := a.store.PayoutByRef(ctx, "RC-LATE", store.First(true))
	if err != nil {
		t.Fatal(err)
	}
	// And a record payops has no payout for, accepted: a difference the
	// signed-off files carry.
	run, err := a.store.Reconcile(ctx, "nxtbanking", day, day, day.Add(24*time.Hour), "list", "scheduler",
		[]payout.ProviderRecord{{ProviderPayoutID: p.ProviderID(), ReferenceID: "RC-LATE", Amount: p.Amount(),
			Status: payout.Succeeded}, {ProviderPayoutID: "nxt_ESCROW-1", ReferenceID: "ESCROW-1",
			Amount: payout.Money{Minor: 500, Currency: "INR"}, Status: payout.Succeeded}}, false)
	if err != nil {
		t.Fatalf("run %+v %v", run, err)
	}
	diffs, err := a.store.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{})
	if err != nil || len(diffs) != 1 || diffs[0].Kind != "missing_in_payops" {
		t.Fatalf("differences %+v %v, want ESCROW-1 missing in payops", diffs, err)
	}
	if _, err := a.store.ResolveDiffs(ctx, run.ID, []int64{diffs[0].ID}, store.Actor{Name: "finance@example.com"},
		"Escrow credit, confirmed with the provider", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	signed, err := a.store.SignOff(ctx, run.ID, store.Actor{Name: "finance@example.com"})
	if err != nil || signed.SignedOffAt == nil {
		t.Fatalf("sign-off %+v %v", signed, err)
	}
	c := a.client()
	c.login("finance@example.com")
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
	if _, page := c.get(dayURL); byID(t, page, "changed-since-signoff") != nil {
		t.Error("a fresh sign-off says payouts changed since")
	}
	// The day's files say which version they are and who signed it off.
	at := signed.SignedOffAt.UTC().Format(time.RFC3339)
	for _, file := range []string{"/totals.csv", "/diffs.csv"} {
		code, body, _ := c.do("GET", dayURL+file, nil, nil)
		rows := readCSV(t, body)
		if code != 200 || len(rows) < 1 {
			t.Fatalf("%s: %d %q", file, code, body)
		}
		head := rows[0]
		if got := strings.Join(head[len(head)-3:], ","); got != "version,signed_off_by,signed_off_at" {
			t.Errorf("%s header ends %q", file, got)
		}
		for _, r := range rows[1:] {
			if got := strings.Join(r[len(r)-3:], ","); got != "1,finance@example.com,"+at {
				t.Errorf("%s row %v ends %q, want version 1 signed off by finance@example.com at %s", file, r, got, at)
			}
		}
		if len(rows) != 2 {
			t.Errorf("%s: %v, want one row (INR's total, ESCROW-1's difference)", file, rows)
		}
	}
	if _, err := a.store.ApplyObservation(ctx, "RC-LATE", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		RawStatus: "REVERSED", Status: payout.Reversed}); err != nil {
		t.Fatal(err)
	}
	if _, page := c.get(dayURL); !strings.Contains(textOf(byID(t, page, "changed-since-signoff")), "RC-LATE") {
		t.Error("the signed-off day does not say RC-LATE changed since")
	}
}
