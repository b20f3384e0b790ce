package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
	"payops/store"
)

// bulkBar names a page's bulk bar and what it acts on, for the checks every
// bulk bar must pass (static/app.js drives them all alike).
type bulkBar struct {
	name  string // for messages and screenshots
	table string // the table's id
	bar   string // the bar's id
	box   string // a row's checkbox (CSS)
	note  string // the written reason's id
	post  string // how the path a bulk action posts to ends
}

var (
	reconBulk = bulkBar{name: "recon", table: "diffs", bar: "bulk-resolve", box: "#diffs tbody input[name=diff]",
		note: "bulk-note", post: "/resolve"}
	holdsBulk = bulkBar{name: "holds", table: "holds-table", bar: "bulk-bar", box: "#holds-table tbody input[name=hold]",
		note: "holds-note", post: "/holds/bulk"}
)

// shown reports whether the bar is on the page (not display: none).
func (b bulkBar) shown(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return evalJS[bool](t, ctx, `document.getElementById("`+b.bar+`").offsetParent !== null`)
}

// hidesSoon reports whether the bar is hidden, or hides within 3 s: the
// list is swapped in by HTMX and the bar hidden by the script after it.
func (b bulkBar) hidesSoon(t *testing.T, ctx context.Context) bool {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if !b.shown(t, ctx) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// countRequests counts the page's HTMX requests in window.posts, for
// noRequestSent.
func countRequests(t *testing.T, ctx context.Context) {
	t.Helper()
	evalJS[bool](t, ctx, `window.posts = 0;
		document.body.addEventListener("htmx:beforeRequest", () => window.posts++); true`)
}

// noRequestSent checks that the browser refused the empty note itself:
// the field is marked invalid, no request went (HTMX's or any other) and
// the page is still page.
func noRequestSent(t *testing.T, ctx context.Context, b bulkBar, page string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // a request, had one been sent, would have been made by now
	if msg := evalJS[string](t, ctx, `document.getElementById("`+b.note+`").validationMessage`); msg == "" {
		t.Errorf("%s: the empty note is not marked invalid", b.name)
	}
	posts := evalJS[int](t, ctx, `window.posts + performance.getEntriesByType("resource")
		.filter((e) => e.name.endsWith("`+b.post+`")).length`)
	if loc := evalJS[string](t, ctx, `location.pathname`); posts != 0 || loc != page {
		t.Errorf("%s: an empty note sent %d requests, now at %s", b.name, posts, loc)
	}
}

// stickyBulkBar selects the table's first row (its page is open): mid-table
// the bar sticks to the window's bottom edge; at the end of the page it is
// below the last row. Nothing overflows with it shown. The row stays
// selected.
func stickyBulkBar(t *testing.T, ctx context.Context, b bulkBar, width int64) {
	t.Helper()
	step(t, ctx, "select a row", chromedp.Click(chromedp.CSS(b.box)), chromedp.WaitVisible(chromedp.CSS("#"+b.bar)))
	stuck := evalJS[bool](t, ctx, `
		window.scrollTo(0, window.scrollY + document.getElementById("`+b.table+`").getBoundingClientRect().top);
		Math.abs(document.getElementById("`+b.bar+`").getBoundingClientRect().bottom - window.innerHeight) < 2`)
	if !stuck {
		t.Errorf("%s at %d px: mid-table the bulk bar is not at the window's bottom edge", b.name, width)
	}
	viewShot(t, ctx, fmt.Sprintf("%s-bulk-sticky-%d", b.name, width))
	gap := evalJS[float64](t, ctx, `window.scrollTo(0, document.body.scrollHeight);
		document.getElementById("`+b.bar+`").getBoundingClientRect().top -
		document.querySelector("#`+b.table+` tbody tr:last-child").getBoundingClientRect().bottom`)
	if gap < 0 {
		t.Errorf("%s at %d px: the bulk bar covers the last row by %.0f px", b.name, width, -gap)
	}
	viewShot(t, ctx, fmt.Sprintf("%s-bulk-end-%d", b.name, width))
	fitsWidth(t, ctx, fmt.Sprintf("%s with the bulk bar at %d px", b.name, width))
}

// Compliance works a long holds list at both sizes: the bulk bar appears
// only once a hold is selected, says how many, asks for an owner only to
// reassign, sticks to the window's bottom mid-list and sits below the last
// row at its end. An empty reason is refused in the browser, no request
// sent; with one, rejecting two holds (one of them escalated) redraws the
// list, its counts in the heading and the results, and hides the bar.
func TestBrowserHoldsBulk(t *testing.T) {
	a := newApp(t)
	a.withToken()
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addUser("tax.owner@example.com", payout.RoleCompliance)
	owner, _ := a.store.UserByEmail(context.Background(), "tax.owner@example.com")
	setOwners(t, a, owner.ID)
	var ids []string
	for i := range 16 {
		ids = append(ids, a.heldPayout(fmt.Sprintf("PAYROLL-2026-11-ACME-INDIA-%06d", 300100+i), expiredTax))
	}
	escalated, _ := strconv.ParseInt(ids[1], 10, 64)
	if _, err := a.store.EscalateHold(context.Background(), escalated, store.Actor{Name: "compliance@example.com"},
		"The seller's tax owner has not answered in two days"); err != nil {
		t.Fatal(err)
	}

	ctx := browser(t, chromedp.WindowSize(1280, 720))
	signIn(t, ctx, a.srv.URL, "compliance@example.com")
	viewTestData(t, ctx) // the API's sandbox payouts are test payouts
	for _, size := range walkSizes {
		step(t, ctx, "open the holds", chromedp.EmulateViewport(size[0], size[1]),
			chromedp.Navigate(a.srv.URL+"/holds"), chromedp.WaitReady(chromedp.CSS("#holds-table")))
		if holdsBulk.shown(t, ctx) {
			t.Errorf("at %d px the bulk bar shows with nothing selected", size[0])
		}
		stickyBulkBar(t, ctx, holdsBulk, size[0])
	}
	countRequests(t, ctx)
	if got := text(t, ctx, "#bulk-count"); got != "1 hold selected" {
		t.Errorf("bulk bar says %q", got)
	}
	reassignAsksForOwner(t, ctx)
	// The first row, selected above, is the escalated hold: escalated and
	// overdue holds come first.
	if first := evalJS[string](t, ctx, `document.querySelector("#holds-table tbody tr").id`); first != "hold-"+ids[1] {
		t.Fatalf("the first row is %s, not the escalated hold", first)
	}
	step(t, ctx, "select another hold", chromedp.Click(chromedp.CSS("#hold-"+ids[5]+" input[name=hold]")))
	if got := text(t, ctx, "#bulk-count"); got != "2 holds selected" {
		t.Errorf("bulk bar says %q", got)
	}
	// Rejecting asks first, naming how many (not when the reason is
	// missing: the browser refuses first); the answer given is yes.
	evalJS[bool](t, ctx, `window.asked = []; window.confirm = (q) => { window.asked.push(q); return true; }; true`)
	step(t, ctx, "reject without a reason", chromedp.SetValue(chromedp.CSS("#bulk-action"), "reject"),
		chromedp.Click(chromedp.CSS("#bulk-apply")))
	noRequestSent(t, ctx, holdsBulk, "/holds")
	if a.holdState(ids[1]) != "open" {
		t.Fatal("an empty reason rejected a hold")
	}
	step(t, ctx, "reject both with a reason",
		chromedp.SendKeys(chromedp.CSS("#holds-note"), "Seller offboarded: contract ended on the 1st"),
		chromedp.Click(chromedp.CSS("#bulk-apply")), chromedp.WaitVisible(chromedp.CSS("#bulk-results")))
	if asked := evalJS[[]string](t, ctx, `window.asked`); len(asked) != 1 || !strings.HasPrefix(asked[0], "Reject 2 holds?") {
		t.Errorf("the rejection asked %q first, want one question naming the 2 holds", asked)
	}
	checkHoldsAfterBulk(t, ctx, a, ids[1])
}

// reassignAsksForOwner checks that the bar asks for an owner only while
// Reassign is the action.
func reassignAsksForOwner(t *testing.T, ctx context.Context) {
	t.Helper()
	ownerShown := `document.querySelector("#bulk-bar .reassign-to").offsetParent !== null`
	if evalJS[bool](t, ctx, ownerShown) {
		t.Error("the bulk bar asks for an owner before Reassign is chosen")
	}
	step(t, ctx, "choose Reassign", chromedp.SetValue(chromedp.CSS("#bulk-action"), "reassign"))
	if !evalJS[bool](t, ctx, ownerShown) {
		t.Error("the bulk bar does not ask for the owner to reassign to")
	}
}

// checkHoldsAfterBulk checks the holds page after two of its 16 holds, the
// escalated one among them, were rejected.
func checkHoldsAfterBulk(t *testing.T, ctx context.Context, a *app, escalated string) {
	t.Helper()
	if got := text(t, ctx, "#bulk-results"); strings.Count(got, "payout rejected") != 2 {
		t.Errorf("results %q", got)
	}
	if got := text(t, ctx, "#holds-count"); got != "14" {
		t.Errorf("the heading counts %s holds after two were rejected, want 14", got)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#holds-overdue").length`); n != 0 {
		t.Errorf("the heading still counts the rejected escalated hold as overdue")
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#holds-table tbody tr").length`); n != 14 {
		t.Errorf("%d rows after the action, want 14", n)
	}
	if !holdsBulk.hidesSoon(t, ctx) {
		t.Error("the bulk bar still shows with nothing selected")
	}
	if a.holdState(escalated) != "rejected" {
		t.Errorf("the escalated hold is %s", a.holdState(escalated))
	}
	screenshot(t, ctx, "holds-bulk-done")
}
