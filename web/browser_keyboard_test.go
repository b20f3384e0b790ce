package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"payops/payout"
)

// focusScript describes what has the keyboard's focus: its element, whether
// it is inside the window and inside main, and its outline.
const focusScript = `(() => {
	const e = document.activeElement, r = e.getBoundingClientRect(), cs = getComputedStyle(e);
	return {tag: e.tagName.toLowerCase(), cls: e.className, text: e.textContent.trim(),
		inWindow: r.top >= 0 && r.bottom <= innerHeight && r.width > 0,
		inMain: !!e.closest("main"), outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth),
		color: cs.outlineColor};
})()`

type focused struct {
	Tag      string  `json:"tag"`
	Cls      string  `json:"cls"`
	Text     string  `json:"text"`
	InWindow bool    `json:"inWindow"`
	InMain   bool    `json:"inMain"`
	Outline  string  `json:"outline"`
	Width    float64 `json:"width"`
	Color    string  `json:"color"`
}

func focusNow(t *testing.T, ctx context.Context) focused {
	t.Helper()
	return evalJS[focused](t, ctx, focusScript)
}

// Keyboard users: the first Tab on a page shows a "Skip to main content"
// link, which takes the focus past the header into the page; whatever has
// the focus shows an outline, white on the dark header.
func TestBrowserSkipLinkAndFocus(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("KB-1", payout.Processing, 30*time.Minute)
	ctx := browser(t, chromedp.WindowSize(1280, 720))
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	step(t, ctx, "open the payouts and press Tab", chromedp.Navigate(a.srv.URL+"/payouts"),
		chromedp.WaitReady(chromedp.CSS("main")), chromedp.KeyEvent(kb.Tab))
	f := focusNow(t, ctx)
	if f.Cls != "skip-link" || !f.InWindow || f.Text != "Skip to main content" {
		t.Fatalf("the first Tab focuses %+v, want the skip link in the window", f)
	}
	if f.Outline == "none" || f.Width < 2 {
		t.Errorf("the focused skip link has no outline: %+v", f)
	}
	screenshot(t, ctx, "skip-link")
	step(t, ctx, "Tab to the header's first link", chromedp.KeyEvent(kb.Tab))
	if f := focusNow(t, ctx); f.Cls != "brand" || f.Outline == "none" || f.Color != "rgb(255, 255, 255)" {
		t.Errorf("the header's first link focused: %+v, want a white outline", f)
	}
	step(t, ctx, "open the page again and follow the skip link",
		chromedp.Navigate(a.srv.URL+"/payouts"), chromedp.WaitReady(chromedp.CSS("main")),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
	if loc := evalJS[string](t, ctx, `location.hash`); loc != "#main" {
		t.Errorf("after the skip link the address ends %q, want #main", loc)
	}
	f = focusNow(t, ctx)
	if !f.InMain || f.Outline == "none" {
		t.Errorf("Tab after the skip link focuses %+v, want something in main with an outline", f)
	}
	viewShot(t, ctx, "focus-in-main")
}
