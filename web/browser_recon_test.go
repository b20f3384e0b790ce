package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

// evalJS runs a script in the page and returns its value.
func evalJS[T any](t *testing.T, ctx context.Context, script string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("evaluate %.60s: %v", script, err)
	}
	return v
}

// viewShot saves what the window shows (not the whole page) when
// PAYOPS_SCREENSHOTS names a folder: to see what sticks to the window.
func viewShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PAYOPS_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Finance selects two differences: the bulk bar appears, below the last
// row. An empty note is refused by the browser, no request made; with a
// note, one click resolves both, each audited, and the page says so.
func TestBrowserBulkResolve(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(3)
	dayURL, run, diffs := reconciledDay(t, a, day)
	amount, status := diffs["R2 amount_mismatch"], diffs["R4 status_mismatch"]
	box := func(d store.ReconDiff) string { return fmt.Sprintf("#diff-%d input[name=diff]", d.ID) }

	ctx := browser(t, chromedp.WindowSize(1280, 720))
	signIn(t, ctx, a.srv.URL, "finance@example.com")
	step(t, ctx, "open the day", chromedp.Navigate(a.srv.URL+dayURL), chromedp.WaitReady(chromedp.CSS("#diffs")))
	evalJS[bool](t, ctx, `window.posts = 0;
		document.body.addEventListener("htmx:beforeRequest", () => window.posts++); true`)
	if shown := evalJS[bool](t, ctx, `document.getElementById("bulk-resolve").offsetParent !== null`); shown {
		t.Error("the bulk bar shows with nothing selected")
	}
	step(t, ctx, "select two differences",
		chromedp.Click(chromedp.CSS(box(amount))), chromedp.Click(chromedp.CSS(box(status))),
		chromedp.WaitVisible(chromedp.CSS("#bulk-resolve")))
	if got := text(t, ctx, "#bulk-count"); got != "2 differences selected" {
		t.Errorf("bulk bar says %q", got)
	}
	// At the end of the page the bar is below the last row, not over it.
	gap := evalJS[float64](t, ctx, `window.scrollTo(0, document.body.scrollHeight);
		document.getElementById("bulk-resolve").getBoundingClientRect().top -
		document.querySelector("#diffs tbody tr:last-child").getBoundingClientRect().bottom`)
	if gap < 0 {
		t.Errorf("the bulk bar covers the last row by %.0f px", -gap)
	}
	viewShot(t, ctx, "recon-bulk-bar-1280")

	step(t, ctx, "resolve without a note", chromedp.Click(chromedp.CSS("#bulk-resolve-btn")))
	noRequestSent(t, ctx, dayURL)
	if r, _ := a.store.ReconRunByID(context.Background(), run.ID); r.OpenDiffs != 7 {
		t.Fatalf("an empty note closed %d differences", 7-r.OpenDiffs)
	}

	note := "Both booked by hand on the 2nd; bank statement line 14"
	step(t, ctx, "resolve both with one note", chromedp.SendKeys(chromedp.CSS("#bulk-note"), note),
		chromedp.Click(chromedp.CSS("#bulk-resolve-btn")), chromedp.WaitVisible(chromedp.CSS("#bulk-results")))
	if got := text(t, ctx, "#bulk-results"); !strings.Contains(got, "2 differences closed with your note") ||
		!strings.Contains(got, "R2 · Amount resolved") || !strings.Contains(got, "R4 · Status resolved") {
		t.Errorf("results %q", got)
	}
	if got := text(t, ctx, "#day-state"); got != "5 open differences" {
		t.Errorf("day state after %q", got)
	}
	if got := auditedNotes(t, a, day, "finance@example.com"); len(got) != 2 || got[amount.ID] != note ||
		got[status.ID] != note {
		t.Errorf("audited %v, want %d and %d with the note", got, amount.ID, status.ID)
	}
	if shown := evalJS[bool](t, ctx, `document.getElementById("bulk-resolve").offsetParent !== null`); shown {
		t.Error("the bulk bar still shows with nothing selected")
	}
	screenshot(t, ctx, "recon-bulk-done-1280")
}

// noRequestSent checks that the browser refused the empty note itself:
// the field is marked invalid, no request went (HTMX's or any other) and
// the page is still the day's.
func noRequestSent(t *testing.T, ctx context.Context, dayURL string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // a request, had one been sent, would have been made by now
	if msg := evalJS[string](t, ctx, `document.getElementById("bulk-note").validationMessage`); msg == "" {
		t.Error("the empty note is not marked invalid")
	}
	posts := evalJS[int](t, ctx, `window.posts + performance.getEntriesByType("resource")
		.filter((e) => e.name.endsWith("/resolve")).length`)
	if loc := evalJS[string](t, ctx, `location.pathname`); posts != 0 || loc != dayURL {
		t.Errorf("an empty note sent %d requests, now at %s", posts, loc)
	}
}

// overflowScript lists every element wider inside than it is (something
// in it scrolls or is clipped sideways) or reaching past the window's right
// edge, outside regions meant to scroll; and whether the page scrolls
// sideways. Text fields scroll their own text, and an ellipsis clips on
// purpose.
const overflowScript = `(() => {
	const vw = document.documentElement.clientWidth, out = [];
	const scrolls = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
	const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
	for (const e of document.querySelectorAll("body *")) {
		if (e.matches("input, textarea, select, option") || e.closest("svg")) continue;
		let inScroller = false;
		for (let p = e.parentElement; p; p = p.parentElement) if (scrolls(p)) { inScroller = true; break; }
		if (inScroller) continue;
		const cs = getComputedStyle(e);
		if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1 && !scrolls(e) && cs.textOverflow !== "ellipsis")
			out.push(name(e) + " " + e.scrollWidth + ">" + e.clientWidth);
		if (e.getBoundingClientRect().right > vw + 1) out.push(name(e) + " past the right edge");
	}
	if (document.documentElement.scrollWidth > vw) out.push("the page scrolls sideways");
	return out;
})()`

// layoutDay reconciles a day that looks like a real one: long references
// and provider ids, amounts in crores, three currencies (IDR ties), every
// kind of difference, and two closed with a long note.
func layoutDay(t *testing.T, a *app, day time.Time) {
	t.Helper()
	ctx := context.Background()
	var records []payout.ProviderRecord
	fee := int64(1500)
	for i := range 12 {
		ref := fmt.Sprintf("PAYROLL-2026-11-ACME-INDIA-%06d", 100000+i)
		ppid := fmt.Sprintf("disb-5f0c2b1e-7a44-4a8e-9b0e-%012d", 3000000+i)
		amount := payout.Money{Minor: 12345678900 + int64(i)*100, Currency: "INR"}
		status := payout.Succeeded
		if i >= 8 {
			amount = payout.Money{Minor: 150000000 + int64(i), Currency: "IDR"}
		}
		if i == 2 {
			status = payout.Processing
		}
		_, err := a.store.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox",
			ProviderPayoutID: ppid, Amount: amount, Status: status, CreatedAt: day.Add(12 * time.Hour),
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}})
		if err != nil {
			t.Fatal(err)
		}
		rec := payout.ProviderRecord{ProviderPayoutID: ppid, ReferenceID: ref, Amount: amount, Status: payout.Succeeded}
		switch i {
		case 0, 1:
			rec.Amount.Minor += 100
		case 3:
			rec.Fee = &fee
		case 4, 5:
			continue // missing at the provider
		case 6:
			rec.Amount.Currency = "USD"
		}
		records = append(records, rec)
	}
	for i := range 2 {
		records = append(records, payout.ProviderRecord{
			ProviderPayoutID: fmt.Sprintf("disb-77aa01c4-1b2c-4d3e-8f90-%012d", i),
			ReferenceID:      fmt.Sprintf("UNKNOWN-MERCHANT-SETTLEMENT-REF-%08d", i), Status: payout.Succeeded,
			Amount: payout.Money{Minor: 98765432100, Currency: "INR"}})
	}
	run, err := a.store.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance", records)
	if err != nil {
		t.Fatal(err)
	}
	diffs, _ := a.store.ReconDiffs(ctx, run.ID, store.ReconDiffFilter{Kind: "missing_in_payops"})
	ids := []int64{diffs[0].ID, diffs[1].ID}
	if _, err := a.store.ResolveDiffs(ctx, run.ID, ids, store.Actor{Name: "finance@example.com"},
		"Merchant settlements credited to the escrow account by the provider; confirmed with their ops team by email "+
			"(ticket PRV-88231-SETTLEMENT-ESCROW-RECONCILIATION)", true); err != nil {
		t.Fatal(err)
	}
}

// At 1280x720 and 1440x900 nothing on the reconciliation pages is wider
// than its box or scrolls sideways: the grid in both views, and a day with
// long ids, large amounts and notes, for finance (with every button) and
// for ops.
func TestBrowserReconLayout(t *testing.T) {
	a := newApp(t, withProviders())
	a.addUser("finance@example.com", payout.RoleFinance)
	a.addUser("ops@example.com", payout.RoleOps)
	gridFixture(t, a)
	day := pastDay(3)
	layoutDay(t, a, day)
	dayURL := "/reconciliation/sandbox/" + day.Format(time.DateOnly)
	pages := [][2]string{
		{"grid", "/reconciliation"},
		{"grid-action", "/reconciliation?view=action"},
		{"day", dayURL},
		{"day-upload", "/reconciliation/xendit/" + pastDay(1).Format(time.DateOnly)},
	}
	for _, user := range []string{"finance", "ops"} {
		ctx := browser(t, chromedp.WindowSize(1280, 720))
		signIn(t, ctx, a.srv.URL, user+"@example.com")
		for _, size := range [][2]int64{{1280, 720}, {1440, 900}} {
			step(t, ctx, "size the window", chromedp.EmulateViewport(size[0], size[1]))
			for _, p := range pages {
				name, path := p[0], p[1]
				step(t, ctx, "open "+name, chromedp.Navigate(a.srv.URL+path), chromedp.WaitReady(chromedp.CSS("#flash")))
				if vw := evalJS[int64](t, ctx, `document.documentElement.clientWidth`); vw > size[0] || vw < size[0]-20 {
					t.Fatalf("window %d px wide, want about %d", vw, size[0])
				}
				if over := evalJS[[]string](t, ctx, overflowScript); len(over) > 0 {
					t.Errorf("%s at %dx%d for %s: %v", name, size[0], size[1], user, over)
				}
				screenshot(t, ctx, fmt.Sprintf("recon-%s-%s-%d", name, user, size[0]))
			}
			if user == "finance" {
				step(t, ctx, "open the day", chromedp.Navigate(a.srv.URL+dayURL), chromedp.WaitReady(chromedp.CSS("#diffs")))
				stickyBulkBar(t, ctx, size[0])
			}
		}
	}
}

// stickyBulkBar selects the day's first difference (its page is open):
// mid-table the bar sticks to the window's bottom edge; at the end of the
// page it is below the last row. Nothing overflows with it shown.
func stickyBulkBar(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	step(t, ctx, "select a difference", chromedp.Click(chromedp.CSS("#diffs tbody input[name=diff]")),
		chromedp.WaitVisible(chromedp.CSS("#bulk-resolve")))
	stuck := evalJS[bool](t, ctx, `
		window.scrollTo(0, window.scrollY + document.getElementById("diffs").getBoundingClientRect().top);
		Math.abs(document.getElementById("bulk-resolve").getBoundingClientRect().bottom - window.innerHeight) < 2`)
	if !stuck {
		t.Errorf("at %d px mid-table the bulk bar is not at the window's bottom edge", width)
	}
	viewShot(t, ctx, fmt.Sprintf("recon-bulk-sticky-%d", width))
	gap := evalJS[float64](t, ctx, `window.scrollTo(0, document.body.scrollHeight);
		document.getElementById("bulk-resolve").getBoundingClientRect().top -
		document.querySelector("#diffs tbody tr:last-child").getBoundingClientRect().bottom`)
	if gap < 0 {
		t.Errorf("at %d px the bulk bar covers the last row by %.0f px", width, -gap)
	}
	if over := evalJS[[]string](t, ctx, overflowScript); len(over) > 0 {
		t.Errorf("the day with the bulk bar at %d px: %v", width, over)
	}
}

// Finance uploads a bad report in the browser: the day's page after the
// redirect says why; reloading it shows the same and posts nothing.
func TestBrowserRefusedUploadReloads(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(2)
	dayURL := "/reconciliation/sandbox/" + day.Format(time.DateOnly)
	file := filepath.Join(t.TempDir(), "bad-report.csv")
	if err := os.WriteFile(file, []byte("provider_payout_id,reference_id,amount\nx,y,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "finance@example.com")
	step(t, ctx, "upload a bad report", chromedp.Navigate(a.srv.URL+dayURL),
		chromedp.SetUploadFiles(chromedp.CSS(`#upload input[type=file]`), []string{file}),
		chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#upload-error")))
	before := text(t, ctx, "#upload-error")
	step(t, ctx, "reload the page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#upload-error")))
	if after := text(t, ctx, "#upload-error"); after != before || !strings.Contains(after, "bad-report.csv") {
		t.Errorf("after the reload %q, before %q", after, before)
	}
	if loc := evalJS[string](t, ctx, `location.pathname + location.search`); !strings.HasPrefix(loc, dayURL+"?refused=") {
		t.Errorf("the page after the refusal is %s", loc)
	}
	if n := refusals(t, a, "sandbox", day); n != 1 {
		t.Errorf("%d refusals recorded after a reload, want 1", n)
	}
}
