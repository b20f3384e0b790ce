package web_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/drill"
	"payops/payout"
	"payops/store"
)

// A drill's bar is exactly as long as its "N of M" says, in each phase, and
// while it converges the page says what it waits for: how many payouts
// differ from the provider's truth and why, and when the re-check runs
// next; the panel follows the drill by itself.
func TestBrowserDrillProgressSaysWhatItWaitsFor(t *testing.T) {
	a := newApp(t, withDrills())
	a.addUser("admin@example.com", payout.RoleAdmin)
	bg := context.Background()
	run, err := a.store.StartDrillRun(bg, store.NewDrillRun{Scenario: "all-of-them", Payouts: 12}, store.Actor{Name: "admin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	progress := func(step store.DrillStep) {
		t.Helper()
		if err := a.store.DrillProgress(bg, run.ID, step); err != nil {
			t.Fatal(err)
		}
	}
	progress(store.DrillStep{Phase: "creating", Done: 4, Total: 12})

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	href := a.srv.URL + "/drills/" + strconv.FormatInt(run.ID, 10)
	step(t, ctx, "open the drill", chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS("#drill-progress")))
	barIs(t, ctx, "4 of 12", 4.0/12)
	if n := eval[int](t, ctx, `document.querySelectorAll("#drill-waiting").length`); n != 0 {
		t.Error("a drill creating its payouts says what it waits for")
	}

	next := time.Now().Add(9 * time.Second)
	progress(store.DrillStep{Phase: "converging", Done: 7, Total: 12, NextRecheck: &next,
		Waiting: drill.Waiting{NotSent: 1, AtProvider: 2, Unheard: 2, Settling: true}})
	step(t, ctx, "wait for the panel to follow", chromedp.WaitVisible(chromedp.CSS("#drill-waiting")))
	barIs(t, ctx, "7 of 12", 7.0/12)
	if got := text(t, ctx, "#drill-phase"); !strings.Contains(got, "agreeing with the provider") {
		t.Errorf("phase %q", got)
	}
	for id, want := range map[string]string{"#waiting-total": "5", "#waiting-not-sent": "1 not sent yet",
		"#waiting-at-provider": "2 stuck at the provider", "#waiting-unheard": "2 decided at the provider"} {
		if got := text(t, ctx, id); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want it to start %q", id, got, want)
		}
	}
	if got := text(t, ctx, "#waiting-recheck"); !strings.Contains(got, "Next re-check of stale payouts in ") {
		t.Errorf("next re-check: %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#waiting-other").length`); n != 0 {
		t.Error("a reason with no payouts is listed")
	}
	visible(t, ctx, "#waiting-settling")
	shots(t, ctx, "drill-converging")

	progress(store.DrillStep{Phase: "converging", Done: 12, Total: 12, Waiting: drill.Waiting{Settling: true}})
	step(t, ctx, "wait for every payout to agree", chromedp.WaitVisible(chromedp.CSS("#waiting-none")))
	barIs(t, ctx, "12 of 12", 1)
	if err := a.store.FinishDrillRun(bg, run.ID, store.DrillInterrupted, nil, "test over"); err != nil {
		t.Fatal(err)
	}
}

// barIs checks the drill's words say "N of M" and its bar is that long: a
// progress element's position is value over max, the share of its width
// Chromium fills.
func barIs(t *testing.T, ctx context.Context, words string, fraction float64) {
	t.Helper()
	if got := text(t, ctx, "#drill-count"); got != words {
		t.Errorf("the drill says %q, want %q", got, words)
	}
	if got := eval[float64](t, ctx, `document.querySelector("#drill-progress").position`); math.Abs(got-fraction) > 1e-9 {
		t.Errorf("the bar is at %v, want %v (%s)", got, fraction, words)
	}
}

func visible(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	step(t, ctx, sel+" visible", chromedp.WaitVisible(chromedp.CSS(sel)))
}
