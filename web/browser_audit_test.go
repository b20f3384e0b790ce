package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/payout"
)

// Compliance opens the audit log from the nav at 1280 px: entries with long
// details, actors and ids wrap inside the page, nothing runs off its right
// edge; the filter form narrows the list.
func TestBrowserAuditLog(t *testing.T) {
	a := newApp(t)
	a.addUser("compliance@example.com", payout.RoleCompliance)
	a.addPayout("AUD-1", payout.Processing, time.Hour)
	long := strings.Repeat("unbroken", 120)
	a.addAudit(time.Now(), "someone-with-a-very-long-address."+strings.Repeat("x", 80)+"@example.com", "hold.evidence",
		"payout", "AUD-1", `{"hold": 3, "note": "`+long+`", "url": "https://example.com/`+long+`"}`)
	a.addAudit(time.Now(), "cli", "user.role", "user", strings.Repeat("9", 120), `{"role": "admin"}`)

	ctx := browser(t, chromedp.WindowSize(1280, 900))
	signIn(t, ctx, a.srv.URL, "compliance@example.com")
	step(t, ctx, "open the audit log from the nav",
		chromedp.Click(chromedp.CSS("#nav-audit")),
		chromedp.WaitVisible(chromedp.CSS("#audit-table")),
	)
	screenshot(t, ctx, "audit")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if err != nil || width < 1200 || width > 1280 {
		t.Fatalf("viewport %d px, %v", width, err)
	}
	fitsWidth(t, ctx, "the audit log at 1280 px")

	step(t, ctx, "filter by actor",
		chromedp.SendKeys(chromedp.CSS(`#audit-filter input[name="actor"]`), "CLI"),
		chromedp.Click(chromedp.CSS(`#audit-filter button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#audit-clear")),
	)
	got := text(t, ctx, "#audit-table tbody")
	if !strings.Contains(got, "user.role") || strings.Contains(got, "hold.evidence") {
		t.Errorf("filtered by actor cli: %q", got)
	}
}
