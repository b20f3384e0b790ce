package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/jobs"
	"payops/payout"
)

// An admin presses Run now on a job that takes a while: its row follows the
// run by itself (HTMX polling every second, the elapsed time growing),
// keeps its opened runs list open, and stops asking once the run is over,
// showing the result and the run in its last runs.
func TestBrowserJobRowFollowsItsRun(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	finish := func() { once.Do(func() { close(release) }) }
	t.Cleanup(finish)
	a := newApp(t, withJob(jobs.Job{Name: "slow-job", Schedule: "@every 1h",
		Run: func(ctx context.Context) (jobs.Outcome, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return jobs.Outcome{Examined: 7, Changed: 3}, nil
		}}))
	a.addUser("admin@example.com", payout.RoleAdmin)

	ctx := browser(t)
	signIn(t, ctx, a.srv.URL, "admin@example.com")
	step(t, ctx, "open the jobs page", chromedp.Navigate(a.srv.URL+"/jobs"),
		chromedp.WaitVisible(chromedp.CSS("#job-slow-job")))
	step(t, ctx, "press Run now",
		chromedp.Click(chromedp.CSS("#job-slow-job form button")),
		chromedp.WaitVisible(chromedp.CSS("#job-slow-job.job-running .badge")))
	trigger := `document.querySelector("#job-slow-job").getAttribute("hx-trigger")`
	if got := eval[string](t, ctx, trigger); got != "every 1s" {
		t.Fatalf("a running job's rows poll with %q, want every 1s", got)
	}
	if got := eval[string](t, ctx, `location.pathname`); got != "/jobs" {
		t.Errorf("Run now left the page for %s", got)
	}
	// The rows polled every second leave the runs list as it was: closed.
	time.Sleep(1200 * time.Millisecond)
	if eval[bool](t, ctx, `document.querySelector("#runs-slow-job").open`) {
		t.Error("a poll opened the runs list nobody asked for")
	}
	first := text(t, ctx, "#job-slow-job .job-took")
	step(t, ctx, "open its runs", chromedp.Click(chromedp.CSS("#runs-slow-job summary")),
		chromedp.WaitVisible(chromedp.CSS("#runs-slow-job tr.run-running")))
	time.Sleep(2200 * time.Millisecond)
	later := text(t, ctx, "#job-slow-job .job-took")
	if !strings.HasPrefix(first, "running for ") || later == first {
		t.Errorf("elapsed time %q, then %q: the row does not follow the run", first, later)
	}
	shots(t, ctx, "jobs-running")
	if !eval[bool](t, ctx, `document.querySelector("#runs-slow-job").open`) {
		t.Error("the opened runs list closed when the row refreshed")
	}

	finish()
	jobRunEnded(t, ctx)
	shots(t, ctx, "jobs")
}

// jobRunEnded checks slow-job's rows once its run is over: they stop
// polling, say how long it took, keep their runs list open and list the
// run with what it did.
func jobRunEnded(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "wait for the run to end", chromedp.WaitVisible(chromedp.CSS("#job-slow-job .job-result .gate-pass")))
	polls := `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/jobs/slow-job")).length`
	before := eval[int](t, ctx, polls)
	time.Sleep(2500 * time.Millisecond)
	if after := eval[int](t, ctx, polls); before < 2 || after != before {
		t.Errorf("the row asked %d times while running and %d more after the run ended; want some, then none",
			before, after-before)
	}
	if got := eval[bool](t, ctx, `document.querySelector("#job-slow-job").hasAttribute("hx-trigger")`); got {
		t.Error("the finished job's rows still poll")
	}
	if got := text(t, ctx, "#job-slow-job .job-took"); strings.HasPrefix(got, "running") || !strings.HasSuffix(got, " s") {
		t.Errorf("took %q after the run", got)
	}
	if !eval[bool](t, ctx, `document.querySelector("#runs-slow-job").open`) {
		t.Error("the opened runs list closed when the run ended")
	}
	run := text(t, ctx, "#runs-slow-job tr.run")
	for _, want := range []string{"manual on test-1", "7", "3", "ok"} {
		if !strings.Contains(run, want) {
			t.Errorf("the run in the list %q lacks %q", run, want)
		}
	}
}

// Each job lists its last 20 runs, newest first, with instance, start,
// duration, what it examined and changed and its error; the job's own page
// has them open, and from HTMX is the job's rows alone.
func TestJobsListTheirLast20Runs(t *testing.T) {
	a := newApp(t, withJobs())
	a.addUser("ops@example.com", payout.RoleOps)
	ctx := context.Background()
	for i := range 23 {
		l, err := a.store.BeginRun(ctx, "hold-sla", fmt.Sprintf("host-%02d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		var runErr error
		if i == 22 {
			runErr = errors.New("database went away mid-run")
		}
		if err := l.Finish(ctx, 100+i, i, runErr); err != nil {
			t.Fatal(err)
		}
	}
	c := a.client()
	c.login("ops@example.com")
	_, page := c.get("/jobs")
	runs := textsOf(t, page, "runs-hold-sla", "run")
	if len(runs) != 20 {
		t.Fatalf("%d runs listed, want the last 20", len(runs))
	}
	for i, r := range runs {
		n := 22 - i
		want := fmt.Sprintf("manual on host-%02d", n)
		if !strings.Contains(r, want) || !strings.Contains(r, fmt.Sprint(100+n)) {
			t.Errorf("run %d: %q, want host-%02d's, examined %d", i, r, n, 100+n)
		}
	}
	if !strings.Contains(runs[0], "database went away mid-run") || !strings.Contains(runs[1], "ok") {
		t.Errorf("newest runs: %q, %q", runs[0], runs[1])
	}
	if got := textsOf(t, page, "job-hold-sla", "job-result")[0]; got != "database went away mid-run" {
		t.Errorf("the job's result %q", got)
	}
	if n := byID(t, page, "runs-hold-sla"); hasAttr(n, "open") {
		t.Error("the jobs page opens every runs list")
	}
	code, one := c.get("/jobs/hold-sla")
	if n := byID(t, one, "runs-hold-sla"); code != http.StatusOK || n == nil || !hasAttr(n, "open") {
		t.Fatalf("the job's own page: %d, runs list open: %v", code, n != nil && hasAttr(n, "open"))
	}
	code, part, _ := c.do("GET", "/jobs/hold-sla", nil, map[string]string{"HX-Request": "true"})
	rows := byID(t, "<table>"+part+"</table>", "job-hold-sla")
	if code != http.StatusOK || strings.Contains(part, "<html") || rows == nil {
		t.Errorf("the job's rows from HTMX: %d %.200s", code, part)
	}
	if n := byID(t, "<table>"+part+"</table>", "runs-hold-sla"); n == nil || hasAttr(n, "open") {
		t.Error("the job's rows from HTMX open its runs list (a running job's poll would open it on /jobs)")
	}
	if code, _ := c.get("/jobs/no-such-job"); code != http.StatusNotFound {
		t.Errorf("an unknown job's page: %d", code)
	}
}
