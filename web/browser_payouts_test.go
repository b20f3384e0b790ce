package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"payops/payout"
)

// download clicks the link sel and returns the file the browser saved.
func download(t *testing.T, ctx context.Context, sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	step(t, ctx, "download "+sel,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
			return err
		}),
		chromedp.Click(chromedp.CSS(sel)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(b) > 0 {
					return b
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no download in %s (it has %v)", dir, entries)
		}
	}
}

// An ops user pastes a UTR into the header's search and lands on the
// payout's page, then opens the list filtered to FAILED and downloads it.
func TestBrowserFindPayoutByUTR(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("FIND-OK", payout.Succeeded, 2*time.Hour)
	a.addPayout("FIND-BAD-1", payout.Failed, time.Hour)
	a.addPayout("FIND-BAD-2", payout.Failed, time.Hour)
	a.store.DB().MustExec(`UPDATE payouts SET utr = 'AXIS7781' WHERE reference_id = 'FIND-OK'`)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	step(t, ctx, "paste the UTR into the header search",
		chromedp.SendKeys(chromedp.CSS("#header-search input[name=q]"), "AXIS7781\n"),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if got := text(t, ctx, "h1"); !strings.Contains(got, "FIND-OK") {
		t.Fatalf("the search landed on %q, not the payout", got)
	}
	step(t, ctx, "open the payouts list", chromedp.Click(chromedp.CSS(`nav a[href="/payouts"]`)),
		chromedp.WaitVisible(chromedp.CSS("#payouts-table")))
	screenshot(t, ctx, "payouts")
	step(t, ctx, "filter to FAILED",
		chromedp.Click(chromedp.CSS(`#status-filter input[value=FAILED]`)),
		chromedp.Click(chromedp.CSS(`#payouts-filter button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#payouts-clear`)))
	if got := text(t, ctx, "#payouts-count"); got != "2 payouts" {
		t.Fatalf("filtered to FAILED: %q", got)
	}
	rows := readCSV(t, string(download(t, ctx, "#payouts-csv")))
	if len(rows) != 3 || rows[0][0] != "reference_id" {
		t.Fatalf("downloaded %v", rows)
	}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[0], "FIND-BAD-") || r[4] != "FAILED" {
			t.Errorf("downloaded row %v is not a failed payout of the list", r)
		}
	}
}
