package web_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"payops/handlers"
	"payops/payout"
	"payops/web"
)

// walkSizes are the windows every page must fit: a 13" laptop and a
// common desktop.
var walkSizes = [][2]int64{{1280, 720}, {1440, 900}}

// walkPage is one page of the walk: a GET route of the dashboard and a real
// path to it.
type walkPage struct {
	route web.Route
	path  string
}

// walkPages lists a page for each GET route of the dashboard, with the
// seeded paths of samples for routes with path parameters (and for the
// extra views samples names); a route with parameters and no sample fails
// the test, so a new route is walked from the day it is added.
func walkPages(t *testing.T, routes []web.Route, samples map[string][]string) []walkPage {
	t.Helper()
	var out []walkPage
	known := map[string]bool{}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method != http.MethodGet {
			continue
		}
		known[rt.Pattern] = true
		paths, ok := samples[rt.Pattern]
		if !ok && strings.Contains(path, "{") && path != "/{$}" {
			t.Errorf("route %q has path parameters and no sample in walkSeed: add a real path to it", rt.Pattern)
			continue
		}
		if !ok {
			paths = []string{strings.TrimSuffix(path, "{$}")}
		}
		for _, p := range paths {
			out = append(out, walkPage{route: rt, path: p})
		}
	}
	for pattern := range samples {
		if !known[pattern] {
			t.Errorf("walkSeed has samples for %q, which is no GET route", pattern)
		}
	}
	return out
}

// mayOpen reports whether role opens the route's page by the permission
// table ("" is nobody signed in, who opens only the public pages).
func mayOpen(role payout.Role, access payout.Action) bool {
	switch access {
	case web.Public:
		return role == ""
	case web.SignedIn:
		return role != ""
	}
	return role != "" && role.Can(access)
}

// Every page of the dashboard, as every role that may open it, on a
// database seeded with real rows: at 1280x720 and at 1440x900 nothing is
// wider than its box or scrolls sideways outside a region marked to scroll;
// and once a page, no status is struck through and no zero is red, axe-core
// finds no serious or critical violation, and the browser logs no error and
// no failed request.
// One Chromium, one sign-in per role. PAYOPS_SCREENSHOTS keeps a full-page
// screenshot of each page at each size.
func TestBrowserWalk(t *testing.T) {
	a := newApp(t, withProviders(), withJobs(), withHistory(handlers.HistorySettings{
		ArchiveDir:  filepath.Join(t.TempDir(), "payops", "archive", "history-months"),
		Retention:   payout.Retention{"webhook_deliveries": 6, "payout_events": 84, "audit_log": 84, "gate_evaluations": 84},
		JobRunsKept: 14 * 24 * time.Hour}))
	pages := walkPages(t, a.web.Routes(), walkSeed(t, a))
	ctx := browser(t, chromedp.WindowSize(1280, 720))
	w := watch(t, ctx)
	start, walked := time.Now(), 0
	for _, role := range append([]payout.Role{""}, payout.Roles...) {
		c := a.client()
		if role != "" {
			signIn(t, ctx, a.srv.URL, string(role)+"@example.com")
			c.login(string(role) + "@example.com")
		}
		w.take()                     // the sign-in's
		links := map[string]string{} // each link the role is shown, and a page showing it
		for _, p := range pages {
			if !mayOpen(role, p.route.Access) || !isPage(t, c, p.path) {
				continue
			}
			walkOne(t, ctx, w, a.srv.URL, role, p.path, "")
			for _, l := range evalJS[[]string](t, ctx, linksScript) {
				if _, ok := links[l]; !ok {
					links[l] = p.path
				}
			}
			walked++
		}
		linksOpen(t, c, role, links)
		if role == payout.RoleAdmin {
			// The pages that change with the "View test data" switch, with
			// its banner, and the holds the API's sandbox payouts wait on.
			viewTestData(t, ctx)
			for _, path := range []string{"/", "/payouts", "/payouts/stuck", "/holds"} {
				walkOne(t, ctx, w, a.srv.URL, role, path, "test-")
				walked++
			}
			step(t, ctx, "view live data", chromedp.Click(chromedp.CSS(`#test-data-switch button`)),
				chromedp.WaitNotPresent(chromedp.CSS("#test-data-banner")))
		}
		if role != "" {
			// From a page loaded whole: a click while the last switch's
			// page was still replacing the document found no node.
			step(t, ctx, "sign out", chromedp.Navigate(a.srv.URL+"/profile"),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"] button`)),
				chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
				chromedp.WaitVisible(chromedp.CSS("#email")))
		}
	}
	t.Logf("walked %d pages at %d sizes in %s", walked, len(walkSizes), time.Since(start).Round(time.Millisecond))
}

// The same checks on an empty database, as a new install shows it, as an
// admin (who opens nearly every page) and signed out: empty states fit, and
// zeros are not red.
func TestBrowserWalkEmpty(t *testing.T) {
	a := newApp(t, withJobs())
	a.addUser("admin@example.com", payout.RoleAdmin)
	var pages []walkPage
	for _, rt := range a.web.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if method == http.MethodGet && (!strings.Contains(path, "{") || path == "/{$}") {
			pages = append(pages, walkPage{route: rt, path: strings.TrimSuffix(path, "{$}")})
		}
	}
	ctx := browser(t, chromedp.WindowSize(1280, 720))
	w := watch(t, ctx)
	for _, role := range []payout.Role{"", payout.RoleAdmin} {
		c := a.client()
		if role != "" {
			signIn(t, ctx, a.srv.URL, string(role)+"@example.com")
			c.login(string(role) + "@example.com")
		}
		w.take()
		for _, p := range pages {
			if mayOpen(role, p.route.Access) && isPage(t, c, p.path) {
				walkOne(t, ctx, w, a.srv.URL, role, p.path, "empty-")
			}
		}
	}
}

// linksScript lists the page's links into payops (path and query), but
// the ones that change what the session shows (none do today).
const linksScript = `[...document.querySelectorAll("a[href]")].map((a) => new URL(a.getAttribute("href"), location.href))
	.filter((u) => u.origin === location.origin).map((u) => u.pathname + u.search)`

// linksOpen checks that every link shown to role opens for them: no page
// offers a link its reader is refused (403) or that leads nowhere.
func linksOpen(t *testing.T, c *client, role payout.Role, links map[string]string) {
	t.Helper()
	for _, l := range slices.Sorted(maps.Keys(links)) {
		if code, _, _ := c.do("GET", l, nil, nil); code >= 400 {
			t.Errorf("%s's link to %s (on %s) answers %d", role, l, links[l], code)
		}
	}
	t.Logf("%s: %d links followed", cmp.Or(string(role), "signed out"), len(links))
}

// isPage reports whether path answers the client with an HTML page (a CSV
// is a download, not a page); anything but 200 fails the test.
func isPage(t *testing.T, c *client, path string) bool {
	t.Helper()
	code, _, h := c.do("GET", path, nil, nil)
	if code != http.StatusOK {
		t.Errorf("GET %s: %d, want 200", path, code)
		return false
	}
	return strings.HasPrefix(h.Get("Content-Type"), "text/html")
}

// walkOne opens path and checks it at each size; its screenshots' names
// start with walk- and shot.
func walkOne(t *testing.T, ctx context.Context, w *pageWatch, base string, role payout.Role, path, shot string) {
	t.Helper()
	who := string(role)
	if who == "" {
		who = "signed-out"
	}
	for i, size := range walkSizes {
		at := fmt.Sprintf("%s as %s at %dx%d", path, who, size[0], size[1])
		step(t, ctx, "size the window", chromedp.EmulateViewport(size[0], size[1]))
		if i == 0 {
			step(t, ctx, "open "+path, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("main")))
			if got := evalJS[string](t, ctx, `location.pathname + location.search`); got != path {
				t.Errorf("%s: landed on %s", at, got)
			}
			if look := evalJS[[]string](t, ctx, lookScript); len(look) > 0 {
				t.Errorf("%s: %v", at, look)
			}
			if bad := axeViolations(t, ctx); len(bad) > 0 {
				t.Errorf("%s: axe-core:\n\t%s", at, strings.Join(bad, "\n\t"))
			}
		}
		if vw := evalJS[int64](t, ctx, `document.documentElement.clientWidth`); vw > size[0] || vw < size[0]-20 {
			t.Fatalf("%s: the window is %d px wide", at, vw)
		}
		fitsWidth(t, ctx, at)
		screenshot(t, ctx, fmt.Sprintf("walk-%s%s-%s-%d", shot, who, shotName(path), size[0]))
	}
	if problems := w.take(); len(problems) > 0 {
		t.Errorf("%s as %s: the browser reported:\n\t%s", path, who, strings.Join(problems, "\n\t"))
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// shotName turns a path into a file name: /reconciliation?view=action is
// reconciliation-view-action, / is overview.
func shotName(path string) string {
	if path == "/" {
		return "overview"
	}
	return strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(path), "-"), "-")
}
