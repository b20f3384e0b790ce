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
	over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")]
		.filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
		.map((e) => e.tagName + "." + e.className)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(over) > 0 {
		t.Errorf("elements past the right edge at 1280 px: %v", over)
	}
	scroll, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.documentElement.scrollWidth <= document.documentElement.clientWidth`))
	if err != nil || !scroll {
		t.Errorf("the page scrolls sideways at 1280 px (%v)", err)
	}

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
