package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The history page with everything that needs someone (a default
// partition's rows, a month not made, a month overdue, a failed job, an
// archive's long path and checksum) fits a 1280 px window, and its trouble
// shows in its colours: the red row, the amber note, the overdue month.
// Screenshots at 1280x720 and 1440x900.
func TestBrowserHistoryPageInTrouble(t *testing.T) {
	a, _, _, _, _, _ := historyFixture(t)
	ctx := browser(t)
	step(t, ctx, "a 1280x720 viewport", chromedp.EmulateViewport(1280, 720))
	signIn(t, ctx, a.srv.URL, "ops@example.com")
	step(t, ctx, "open the history page", chromedp.Navigate(a.srv.URL+"/settings/history"),
		chromedp.WaitVisible(chromedp.CSS("#history-tables")))
	fitsWidth(t, ctx, "history page in trouble")
	for what, script := range map[string]string{
		"the audit log's row red": `document.querySelector("#history-audit_log").classList.contains("row-bad")`,
		"its note in the bad colour": `getComputedStyle(document.querySelector("#history-note-audit_log")).color ===
			getComputedStyle(document.querySelector(".bad-text")).color`,
		"next month's note amber":  `document.querySelector("#history-note-gate_evaluations").classList.contains("history-warn")`,
		"the overdue month marked": `document.querySelector("#history-webhook_deliveries .age-warn") !== null`,
		"the failed job's row red": `document.querySelector("#history-job-archive-history").classList.contains("row-bad")`,
	} {
		if !evalJS[bool](t, ctx, script) {
			t.Errorf("%s: no", what)
		}
	}
	shots(t, ctx, "history-trouble")
}
