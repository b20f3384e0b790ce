package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/adapters/nxtbanking"
	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

// browser starts Debian's headless Chromium (make test installs it) and
// returns a context for driving one tab. There is no skip: without Chromium
// the test fails and says how to get it. Extra options are added to the
// launch's.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no Chromium at %s: run make test, which installs Debian's chromium", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Do starts the browser and ties its life to this context, so
	// it gets no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// step runs actions with a timeout.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screenshot saves a full-page PNG when PAYOPS_SCREENSHOTS names a folder,
// for people to look at the pages.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PAYOPS_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	step(t, ctx, "sign in as "+email,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "secret-pass"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#current-user")),
	)
}

// Ops signs in, opens the stuck list, presses Re-check on a payout the
// sandbox reports SUCCEEDED and sees the row change in place; finance sees
// no Re-check button and is refused when posting anyway.
func TestBrowserRecheck(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addUser("finance@example.com", payout.RoleFinance)
	ok := refWithFate(t, "BR", sandbox.Success)
	// A reference with a dot and a colon, which a CSS id selector would
	// read as a class and a pseudo-class: the row's Re-check still works.
	failing := refWithFate(t, "BF.INV:2026", sandbox.Failure)
	failingRow := `tr[id="payout-` + failing + `"]`
	a.addPayout(ok, payout.Processing, 26*time.Hour)
	a.addPayout(failing, payout.Queued, 3*time.Hour)
	a.addPayout(refWithFate(t, "BS", sandbox.Stuck), payout.Processing, 40*time.Minute)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	screenshot(t, ctx, "overview")
	step(t, ctx, "open the stuck list",
		chromedp.Navigate(a.srv.URL+"/payouts/stuck"),
		chromedp.WaitVisible(chromedp.CSS("#payout-"+ok)),
	)
	if got := text(t, ctx, "#payout-"+ok+" .badge"); got != "PROCESSING" {
		t.Fatalf("before re-check the row says %q", got)
	}
	if got := text(t, ctx, "#stuck-count"); got != "3" {
		t.Fatalf("before re-check the heading counts %q stuck, want 3", got)
	}
	screenshot(t, ctx, "stuck")
	step(t, ctx, "press Re-check",
		chromedp.Click(chromedp.CSS("#payout-"+ok+" button.recheck")),
		chromedp.WaitVisible(chromedp.CSS("#payout-"+ok+" .outcome")),
	)
	if got := text(t, ctx, "#payout-"+ok+" .outcome"); got != "moved to SUCCEEDED" {
		t.Errorf("outcome %q, want moved to SUCCEEDED", got)
	}
	if got := text(t, ctx, "#payout-"+ok+" .badge"); got != "SUCCEEDED" {
		t.Errorf("row status %q after re-check, want SUCCEEDED", got)
	}
	if got := text(t, ctx, "#payout-"+ok+" .age"); got != "no longer stuck" {
		t.Errorf("the settled row's age says %q, want no longer stuck", got)
	}
	if got := text(t, ctx, "#stuck-count"); got != "2" {
		t.Errorf("the heading's count after a payout left the list: %q, want 2", got)
	}
	step(t, ctx, "re-check the failing one",
		chromedp.Click(chromedp.CSS(failingRow+" button.recheck")),
		chromedp.WaitVisible(chromedp.CSS(failingRow+" .outcome")),
	)
	if got := text(t, ctx, failingRow+" .badge"); got != "FAILED" {
		t.Errorf("failing row status %q, want FAILED", got)
	}
	screenshot(t, ctx, "stuck-after-recheck")
	p, err := a.store.PayoutByRef(context.Background(), ok, store.First(true))
	if err != nil || p.Status != payout.Succeeded {
		t.Errorf("in the database: %s, %v", p.Status, err)
	}
	step(t, ctx, "open the payout", chromedp.Navigate(a.srv.URL+"/payouts/"+ok), chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if got := text(t, ctx, "#timeline"); !strings.Contains(got, "moved to SUCCEEDED") || !strings.Contains(got, "ops@example.com") {
		t.Errorf("timeline %q", got)
	}
	screenshot(t, ctx, "payout")

	// Finance: a fresh browser session.
	fctx := browser(t)
	signIn(t, fctx, a.srv.URL, "finance@example.com")
	step(t, fctx, "open the stuck list as finance",
		chromedp.Navigate(a.srv.URL+"/payouts/stuck"),
		chromedp.WaitVisible(chromedp.CSS("#stuck-table")),
	)
	rctx, cancel := context.WithTimeout(fctx, 15*time.Second)
	defer cancel()
	buttons, err := chromedp.Run(rctx, chromedp.Evaluate[int](`document.querySelectorAll("button.recheck").length`))
	if err != nil || buttons != 0 {
		t.Errorf("finance sees %d Re-check buttons (%v)", buttons, err)
	}
	status, err := chromedp.Run(rctx, chromedp.Evaluate[int](
		`fetch("/payouts/`+failing+`/recheck", {method: "POST"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("finance posting a re-check: %d (%v), want 403", status, err)
	}
}

// Ops opens the webhooks page, sees an applied delivery and a forged one
// standing out, follows the payout link to its evidence page, and reads the
// webhook there with the account number masked.
func TestBrowserWebhooks(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("EV-1", payout.Processing, time.Hour)
	body, sig := sandboxWebhook("EV-1", "SUCCESS", "UTR4242")
	// The body carries a beneficiary account number, as some providers' do.
	body = strings.Replace(body, `"event"`, `"beneficiary":{"account_number":"998877665544"},"event"`, 1)
	sig = map[string]string{"X-NxtB-Signature": nxtbanking.Sign([]byte(sandboxWebhookSecret), []byte(body))}
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", body, sig); code != 200 {
		t.Fatalf("delivery: %d", code)
	}
	forged, _ := sandboxWebhook("EV-1", "FAILED", "")
	if code, _ := postWebhook(t, a.srv.URL, "sandbox", forged, map[string]string{"X-NxtB-Signature": "00"}); code != 401 {
		t.Fatalf("forged: %d", code)
	}

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	step(t, ctx, "open webhooks", chromedp.Navigate(a.srv.URL+"/webhooks"), chromedp.WaitVisible(chromedp.CSS("#webhooks-table")))
	screenshot(t, ctx, "webhooks")
	if got := text(t, ctx, "#webhooks-table tbody tr.row-bad"); !strings.Contains(got, "rejected") {
		t.Errorf("forged delivery row: %q", got)
	}
	for _, o := range []string{"applied", "rejected"} {
		if got := text(t, ctx, "#outcome-counts .out-"+o+" .tile-number"); got != "1" {
			t.Errorf("%s deliveries in the last day: %q, want 1", o, got)
		}
	}
	step(t, ctx, "follow the payout link",
		chromedp.Click(chromedp.CSS(`#webhooks-table a[href="/payouts/EV-1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	)
	step(t, ctx, "open the webhook body", chromedp.Click(chromedp.CSS("#timeline details.body summary")))
	got := text(t, ctx, "#timeline")
	if !strings.Contains(got, "moved to SUCCEEDED") || !strings.Contains(got, "XXXXXXXX5544") || strings.Contains(got, "998877665544") {
		t.Errorf("evidence timeline: %q", got)
	}
	if utr := text(t, ctx, "#payout-utr"); utr != "UTR4242" {
		t.Errorf("UTR %q", utr)
	}
	if got := text(t, ctx, "#ledger"); !strings.Contains(got, "payouts_payable") || !strings.Contains(got, "provider_settlement:sandbox") {
		t.Errorf("ledger %q", got)
	}
	screenshot(t, ctx, "evidence")
}

// A payout above the review threshold comes in through the API and is held.
// Compliance finds it on the holds page, releases it with a written reason
// on its evidence page, and sees it go out through the sandbox provider;
// ops sees no Release button on another held payout and is refused when
// posting a release anyway.
func TestBrowserComplianceRelease(t *testing.T) {
	a := newApp(t, withWorker())
	a.withToken()
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addUser("ops@example.com", payout.RoleOps)
	ref := refWithFate(t, "CR", sandbox.Success)
	id := a.heldPayout(ref, bigAmount)
	other := a.heldPayout("CR-TAX", expiredTax)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "compliance@example.com")
	viewTestData(t, ctx) // the API's sandbox payouts are test payouts
	step(t, ctx, "open the holds page", chromedp.Navigate(a.srv.URL+"/holds"), chromedp.WaitVisible(chromedp.CSS("#hold-"+id)))
	if got := text(t, ctx, "#hold-"+id); !strings.Contains(got, "Above review threshold") || !strings.Contains(got, "2,50,000.00 INR") {
		t.Errorf("hold row: %q", got)
	}
	screenshot(t, ctx, "holds")
	step(t, ctx, "open the held payout",
		chromedp.Click(chromedp.CSS("#hold-"+id+" a")),
		chromedp.WaitVisible(chromedp.CSS("section#hold-"+id+" textarea[name=note]")),
	)
	screenshot(t, ctx, "hold-evidence")
	step(t, ctx, "release with a reason",
		chromedp.SendKeys(chromedp.CSS("section#hold-"+id+" textarea[name=note]"), "Contract for this amount checked against the seller agreement"),
		chromedp.Click(chromedp.CSS("#release-"+id)),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	if got := text(t, ctx, "#notice"); !strings.Contains(got, "Hold released") {
		t.Errorf("notice %q", got)
	}
	// The worker sends it; the page shows the sandbox's payout id.
	want := sandbox.PayoutIDFor(ref)
	deadline := time.Now().Add(10 * time.Second)
	for {
		step(t, ctx, "reload the payout", chromedp.Navigate(a.srv.URL+"/payouts/"+ref), chromedp.WaitVisible(chromedp.CSS("#payout-ppid")))
		if text(t, ctx, "#payout-ppid") == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the released payout was not sent: provider payout id %q", text(t, ctx, "#payout-ppid"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := text(t, ctx, "h1 .badge"); got != "PROCESSING" && got != "SUCCEEDED" {
		t.Errorf("status after sending: %q", got)
	}
	if got := text(t, ctx, "section#hold-"+id); !strings.Contains(got, "released by compliance@example.com") {
		t.Errorf("released hold card: %q", got)
	}
	if n := a.createsOf(ref); n != 1 {
		t.Errorf("the sandbox was asked %d times to create the payout", n)
	}
	screenshot(t, ctx, "released")

	octx := browser(t)
	signIn(t, octx, a.srv.URL, "ops@example.com")
	step(t, octx, "ops opens another held payout", chromedp.Navigate(a.srv.URL+"/payouts/CR-TAX"),
		chromedp.WaitVisible(chromedp.CSS("section#hold-"+other)))
	screenshot(t, octx, "hold-as-ops")
	rctx, cancel := context.WithTimeout(octx, 15*time.Second)
	defer cancel()
	buttons, err := chromedp.Run(rctx, chromedp.Evaluate[int](`document.querySelectorAll("#release-`+other+`, #reject-`+other+`").length`))
	if err != nil || buttons != 0 {
		t.Errorf("ops sees %d Release/Reject buttons (%v)", buttons, err)
	}
	status, err := chromedp.Run(rctx, chromedp.Evaluate[int](
		`fetch("/holds/`+other+`/release", {method: "POST", body: new URLSearchParams({note: "ops releasing it"})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("ops posting a release: %d (%v), want 403", status, err)
	}
	if a.holdState(other) != "open" {
		t.Error("ops' refused release changed the hold")
	}
}
