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
	countRequests(t, ctx)
	if reconBulk.shown(t, ctx) {
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
	noRequestSent(t, ctx, reconBulk, dayURL)
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
	if !reconBulk.hidesSoon(t, ctx) {
		t.Error("the bulk bar still shows with nothing selected")
	}
	screenshot(t, ctx, "recon-bulk-done-1280")
}

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
	// Sent four seconds after midnight by payops' clock, on the provider's
	// report of the day before: listed "Across midnight", counted here.
	late := payout.Money{Minor: 4250000, Currency: "INR"}
	lateID, err := a.store.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: "PAYROLL-2026-11-ACME-INDIA-AFTER-MIDNIGHT",
		Provider: "sandbox", ProviderPayoutID: "disb-5f0c2b1e-7a44-4a8e-9b0e-000009999999", Amount: late, Status: payout.Succeeded,
		CreatedAt:   day.Add(24*time.Hour + 4*time.Second),
		Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"}})
	if err != nil {
		t.Fatal(err)
	}
	a.store.DB().MustExec(`UPDATE payouts SET submitted_at = created_at WHERE id = $1`, lateID)
	records = append(records, payout.ProviderRecord{ProviderPayoutID: "disb-5f0c2b1e-7a44-4a8e-9b0e-000009999999",
		ReferenceID: "PAYROLL-2026-11-ACME-INDIA-AFTER-MIDNIGHT", Amount: late, Status: payout.Succeeded})
	for i := range 2 {
		records = append(records, payout.ProviderRecord{
			ProviderPayoutID: fmt.Sprintf("disb-77aa01c4-1b2c-4d3e-8f90-%012d", i),
			ReferenceID:      fmt.Sprintf("UNKNOWN-MERCHANT-SETTLEMENT-REF-%08d", i), Status: payout.Succeeded,
			Amount: payout.Money{Minor: 98765432100, Currency: "INR"}})
	}
	run, err := a.store.Reconcile(ctx, "sandbox", day, day, day.Add(24*time.Hour), "upload", "finance", records, false)
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

// At 1280x720 and 1440x900, on a day with long ids, large amounts and
// notes, finance's bulk bar sticks to the window's bottom edge mid-table and
// sits below the last row at the end. (TestBrowserWalk checks the pages
// themselves, with the same day, at both sizes for every role.)
func TestBrowserReconBulkBarSticks(t *testing.T) {
	a := newApp(t)
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(3)
	layoutDay(t, a, day)
	dayURL := "/reconciliation/sandbox/" + day.Format(time.DateOnly)
	ctx := browser(t, chromedp.WindowSize(1280, 720))
	signIn(t, ctx, a.srv.URL, "finance@example.com")
	for _, size := range walkSizes {
		step(t, ctx, "open the day", chromedp.EmulateViewport(size[0], size[1]),
			chromedp.Navigate(a.srv.URL+dayURL), chromedp.WaitReady(chromedp.CSS("#diffs")))
		stickyBulkBar(t, ctx, reconBulk, size[0])
	}
}

// Finance uploads a bad report in the browser: the day's page after the
// redirect says why; reloading it shows the same and posts nothing.
func TestBrowserRefusedUploadReloads(t *testing.T) {
	a := newApp(t, withLiveProvider())
	a.addUser("finance@example.com", payout.RoleFinance)
	day := pastDay(2)
	dayURL := "/reconciliation/nxtbanking/" + day.Format(time.DateOnly)
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
	if n := refusals(t, a, "nxtbanking", day); n != 1 {
		t.Errorf("%d refusals recorded after a reload, want 1", n)
	}
}
