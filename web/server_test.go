package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"payops/adapters/sandbox"
	"payops/payout"
	"payops/store"
)

func TestSignIn(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()

	if code, _, h := c.do("GET", "/payouts/stuck", nil, nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
		t.Errorf("signed out: %d to %q, want redirect to /login", code, h.Get("Location"))
	}
	tests := []struct {
		email, password string
		code            int
		says            string
	}{
		{"ops@example.com", "wrong", http.StatusUnauthorized, "Email or password is incorrect."},
		{"nobody@example.com", "secret-pass", http.StatusUnauthorized, "Email or password is incorrect."},
		{"", "", http.StatusUnprocessableEntity, "Enter your email and password."},
	}
	for _, tt := range tests {
		code, body, _ := c.do("POST", "/login", url.Values{"email": {tt.email}, "password": {tt.password}}, nil)
		if code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("login %q/%q: %d, want %d with %q", tt.email, tt.password, code, tt.code, tt.says)
		}
	}
	// Signing in with next goes back where the user was headed, but only
	// on this site.
	code, _, h := c.do("POST", "/login", url.Values{"email": {"OPS@example.com"}, "password": {"secret-pass"}, "next": {"/payouts/stuck"}}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/payouts/stuck" {
		t.Errorf("login with next: %d %q", code, h.Get("Location"))
	}
	if code, body := c.get("/"); code != http.StatusOK || !strings.Contains(body, `id="current-user"`) {
		t.Errorf("overview after login: %d", code)
	}
	c2 := a.client()
	if _, _, h := c2.do("POST", "/login", url.Values{"email": {"ops@example.com"}, "password": {"secret-pass"}, "next": {"//evil.example"}}, nil); h.Get("Location") != "/" {
		t.Errorf("open redirect: Location %q", h.Get("Location"))
	}
	// Sign out ends the session.
	if code, _, _ := c.do("POST", "/logout", nil, nil); code != http.StatusSeeOther {
		t.Errorf("logout: %d", code)
	}
	if code, _ := c.get("/"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d, want redirect", code)
	}
}

func TestSignInThrottled(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	for i := range 5 {
		if code, _, _ := c.do("POST", "/login", url.Values{"email": {"ops@example.com"}, "password": {"guess"}}, nil); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	// Even the right password is refused while throttled.
	code, body, h := c.do("POST", "/login", url.Values{"email": {"ops@example.com"}, "password": {"secret-pass"}}, nil)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") || h.Get("Retry-After") == "" {
		t.Errorf("6th attempt: %d %q", code, h.Get("Retry-After"))
	}
}

func TestStuckList(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("OLD", payout.Processing, 30*time.Hour)
	a.addPayout("MID", payout.Queued, 2*time.Hour)
	a.addPayout("FRESH", payout.Processing, time.Minute)
	a.addPayout("DONE", payout.Succeeded, 40*time.Hour)
	c := a.client()
	c.login("ops@example.com")

	code, body := c.get("/payouts/stuck")
	if code != http.StatusOK {
		t.Fatalf("stuck: %d", code)
	}
	rows := regexp.MustCompile(`id="payout-([A-Z]+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1])
	}
	if strings.Join(got, ",") != "OLD,MID" {
		t.Errorf("rows %v, want OLD,MID (oldest first, no fresh or finished payouts)", got)
	}
	for _, want := range []string{"1,250.50 INR", "Asha Rao · XXXX9012", "Re-check", `id="stuck-count">2<`} {
		if !strings.Contains(body, want) {
			t.Errorf("stuck page lacks %q", want)
		}
	}
	if strings.Contains(body, "123456789012") {
		t.Error("stuck page shows a full account number")
	}
	if code, body := c.get("/payouts/stuck?provider=xendit"); code != http.StatusOK || !strings.Contains(body, `id="stuck-empty"`) {
		t.Errorf("filter with no rows: %d, want the empty state", code)
	}
	// Past the last page (its rows settled since): the last page, not an
	// empty one saying nothing is stuck; a Re-check's outcome goes along.
	if code, _, h := c.do("GET", "/payouts/stuck?page=9&rechecked=OLD", nil, nil); code != http.StatusSeeOther ||
		h.Get("Location") != "/payouts/stuck?rechecked=OLD" {
		t.Errorf("page 9 of 1: %d to %q, want 303 to the last page", code, h.Get("Location"))
	}
	for _, bad := range []string{"/payouts/stuck?provider=nope", "/payouts/stuck?page=0", "/payouts/stuck?page=x"} {
		if code, body := c.get(bad); code != http.StatusBadRequest || !strings.Contains(body, "Bad request") {
			t.Errorf("%s: %d, want 400 with a message", bad, code)
		}
	}
	if code, body := c.get("/"); code != http.StatusOK || !strings.Contains(body, `id="stuck-by-provider"`) {
		t.Errorf("overview: %d", code)
	}
}

func TestRecheck(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	a.addUser("finance@example.com", payout.RoleFinance)
	ok := refWithFate(t, "OK", sandbox.Success)
	stuck := refWithFate(t, "ST", sandbox.Stuck)
	a.addPayout(ok, payout.Processing, time.Hour)
	a.addPayout(stuck, payout.Processing, time.Hour)
	ctx := context.Background()

	fin := a.client()
	fin.login("finance@example.com")
	if _, body := fin.get("/payouts/stuck"); !strings.Contains(body, `id="payout-`+ok+`"`) || strings.Contains(body, `class="recheck"`) {
		t.Error("finance sees a Re-check button")
	}
	if code, _, _ := fin.do("POST", "/payouts/"+ok+"/recheck", url.Values{}, nil); code != http.StatusForbidden {
		t.Errorf("finance re-check: %d, want 403", code)
	}
	// From HTMX the refusal goes to the page's flash area, not into the row.
	code, body, h := fin.do("POST", "/payouts/"+ok+"/recheck", url.Values{}, map[string]string{"HX-Request": "true"})
	if code != http.StatusForbidden || h.Get("HX-Retarget") != "#flash" || !strings.Contains(body, `id="flash-error"`) || strings.Contains(body, "<html") {
		t.Errorf("finance re-check via HTMX: %d %q %s", code, h.Get("HX-Retarget"), body)
	}
	p, _ := a.store.PayoutByRef(ctx, ok, store.First(true))
	if events, _ := a.store.EventsFor(ctx, p.ID); len(events) != 0 || p.Status != payout.Processing {
		t.Errorf("refused re-check changed something: %s, %d events", p.Status, len(events))
	}

	ops := a.client()
	ops.login("ops@example.com")
	htmx := map[string]string{"HX-Request": "true"}
	code, body, _ = ops.do("POST", "/payouts/"+ok+"/recheck", url.Values{}, htmx)
	if code != http.StatusOK || !strings.Contains(body, `id="payout-`+ok+`"`) || !strings.Contains(body, "moved to SUCCEEDED") ||
		!strings.Contains(body, "st-SUCCEEDED") || strings.Contains(body, "<html") {
		t.Errorf("re-check via HTMX: %d %s", code, body)
	}
	p, _ = a.store.PayoutByRef(ctx, ok, store.First(true))
	if p.Status != payout.Succeeded || p.UTR == "" || p.LastCheckedAt == nil {
		t.Errorf("after re-check: %+v", p)
	}
	code, body, _ = ops.do("POST", "/payouts/"+stuck+"/recheck", url.Values{}, htmx)
	if code != http.StatusOK || !strings.Contains(body, "provider says PROCESSING, unchanged") {
		t.Errorf("re-check of a stuck payout: %d %s", code, body)
	}
	// Without JavaScript the form posts and lands on the payout's page,
	// which says what the Re-check found (read from its events).
	code, _, h = ops.do("POST", "/payouts/"+stuck+"/recheck", url.Values{}, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/payouts/"+stuck+"?rechecked=1" {
		t.Errorf("form re-check: %d %q", code, h.Get("Location"))
	}
	if _, body := ops.get(h.Get("Location")); !strings.Contains(body, "Re-checked with sandbox: provider says PROCESSING, unchanged") {
		t.Error("the payout's page after a Re-check does not say what it found")
	}
	code, body = ops.get("/payouts/" + ok)
	if code != http.StatusOK || !strings.Contains(body, "moved to SUCCEEDED") || !strings.Contains(body, "ops@example.com") ||
		!strings.Contains(body, "payout.observe") {
		t.Errorf("payout page: %d lacks its timeline or audit", code)
	}
	if code, body := ops.get("/payouts/NOPE"); code != http.StatusNotFound || !strings.Contains(body, "Not found") {
		t.Errorf("unknown payout: %d", code)
	}
	if code, _, _ := ops.do("POST", "/payouts/NOPE/recheck", url.Values{}, htmx); code != http.StatusNotFound {
		t.Errorf("re-check of unknown payout: %d", code)
	}
}

// A provider that cannot be asked shows in the row and in the payout's
// history; nothing changes.
func TestRecheckProviderDown(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	ref := refWithFate(t, "DN", sandbox.Success)
	a.addPayout(ref, payout.Processing, time.Hour)
	a.sandbox.Close()
	c := a.client()
	c.login("ops@example.com")
	code, body, _ := c.do("POST", "/payouts/"+ref+"/recheck", url.Values{}, map[string]string{"HX-Request": "true"})
	if code != http.StatusOK || !strings.Contains(body, "could not ask the provider") || !strings.Contains(body, "outcome-bad") {
		t.Errorf("provider down: %d %s", code, body)
	}
	p, _ := a.store.PayoutByRef(context.Background(), ref, store.First(true))
	events, _ := a.store.EventsFor(context.Background(), p.ID)
	if p.Status != payout.Processing || len(events) != 1 || events[0].Decision != "error" {
		t.Errorf("after failed re-check: %s, events %+v", p.Status, events)
	}
}

func TestCrossSiteFormRefused(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	ref := refWithFate(t, "CS", sandbox.Success)
	a.addPayout(ref, payout.Processing, time.Hour)
	c := a.client()
	c.login("ops@example.com")
	code, _, _ := c.do("POST", "/payouts/"+ref+"/recheck", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if code != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", code)
	}
	code, _, _ = c.do("POST", "/login", url.Values{"email": {"ops@example.com"}, "password": {"secret-pass"}},
		map[string]string{"Sec-Fetch-Site": "cross-site"})
	if code != http.StatusForbidden {
		t.Errorf("cross-site login: %d, want 403", code)
	}
	p, _ := a.store.PayoutByRef(context.Background(), ref, store.First(true))
	if p.Status != payout.Processing {
		t.Errorf("cross-site post changed the payout to %s", p.Status)
	}
}

func TestHeadersAndProbes(t *testing.T) {
	a := newApp(t)
	c := a.client()
	_, _, h := c.do("GET", "/login", nil, nil)
	for _, k := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if h.Get(k) == "" {
			t.Errorf("missing header %s", k)
		}
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "payops_http_requests_total", "/static/htmx.min.js": "htmx"} {
		if code, body := c.get(path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d", path, code)
		}
	}
	a.addUser("ops@example.com", payout.RoleOps)
	c.login("ops@example.com")
	if code, body := c.get("/no/such/page"); code != http.StatusNotFound || !strings.Contains(body, "Not found") {
		t.Errorf("unknown page: %d", code)
	}
}

// With the database gone, pages answer 503 and /readyz fails; the process
// keeps running and everything works again once the database is back.
func TestDatabaseOutage(t *testing.T) {
	var px *proxy
	a := newApp(t, throughProxy(t, &px))
	a.addUser("ops@example.com", payout.RoleOps)
	a.addPayout("P1", payout.Processing, time.Hour)
	c := a.client()
	c.login("ops@example.com")
	if code, _ := c.get("/payouts/stuck"); code != http.StatusOK {
		t.Fatalf("before the outage: %d", code)
	}

	px.setDown(true)
	if code, _ := c.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while down: %d, want 503", code)
	}
	code, body := c.get("/payouts/stuck")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "Database unavailable") || strings.Contains(body, "dial tcp") {
		t.Errorf("page while down: %d %s", code, body)
	}
	if code, _ := c.get("/healthz"); code != http.StatusOK {
		t.Errorf("healthz while down: %d (the process is alive)", code)
	}

	px.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := c.get("/payouts/stuck")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered after the database returned: %d", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := c.get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz after recovery: %d", code)
	}
}
