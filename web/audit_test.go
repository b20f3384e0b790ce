package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"payops/payout"
)

// addAudit appends an audit entry at a given time, as the store's audit
// does, and returns its id.
func (a *app) addAudit(at time.Time, actor, action, entityType, entityID, details string) string {
	a.t.Helper()
	var id string
	err := a.store.DB().Get(&id, `INSERT INTO audit_log (at, actor, action, entity_type, entity_id, details)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`, at, actor, action, entityType, entityID, details)
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

// auditClients signs in a user of every role and returns their clients.
func auditClients(a *app) map[payout.Role]*client {
	a.t.Helper()
	clients := map[payout.Role]*client{}
	for _, role := range payout.Roles {
		email := string(role) + "@example.com"
		a.addUser(email, role)
		clients[role] = a.client()
		clients[role].login(email)
	}
	return clients
}

// Admin and compliance read the audit log and export it; ops and finance
// are refused both and see no link to it.
func TestAuditLogIsForAdminAndCompliance(t *testing.T) {
	a := newApp(t)
	clients := auditClients(a)
	for _, role := range payout.Roles {
		allowed := role == payout.RoleAdmin || role == payout.RoleCompliance
		c := clients[role]
		for _, path := range []string{"/audit", "/audit.csv"} {
			code, _ := c.get(path)
			if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[allowed]; code != want {
				t.Errorf("%s GET %s: %d, want %d", role, path, code, want)
			}
		}
		_, home := c.get("/")
		link := byID(t, home, "nav-audit")
		if (link != nil) != allowed {
			t.Errorf("%s: Audit log link shown %v, want %v", role, link != nil, allowed)
		}
		if link != nil && attr(link, "href") != "/audit" {
			t.Errorf("%s: Audit log link to %q", role, attr(link, "href"))
		}
	}
	// Their sign-ins are in the log, newest first.
	_, page := clients[payout.RoleAdmin].get("/audit")
	got := textsOf(t, page, "audit-table", "audit-actor")
	want := []string{"admin@example.com", "compliance@example.com", "finance@example.com", "ops@example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("actors newest first: %v, want %v", got, want)
	}
}

func TestAuditLogFilters(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, withBusinessTZ(kolkata))
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	// 20:00 UTC on 1 January is 01:30 on 2 January in Kolkata, 18:00 is 23:30
	// on 1 January: every entry is on 1 January in UTC.
	at := time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC)
	ids := map[string]string{
		"create":  a.addAudit(at, "alice@example.com", "payout.create", "payout", "P-1", `{"amount": "12.50"}`),
		"place":   a.addAudit(at, "alicia", "hold.place", "payout", "P-2", `{"hold": 7, "reason": "review_threshold"}`),
		"signoff": a.addAudit(at.Add(-2*time.Hour), "finance", "recon.sign_off", "recon", "sandbox/2025-12-31", `{"run": 5}`),
		"token":   a.addAudit(at.Add(-2*time.Hour), "cli", "token.create", "api_token", "4", `{"name": "platform"}`),
		"market":  a.addAudit(at.Add(-3*time.Hour), "admin", "market.read_only", "market", "PH/sellers", `{"version": 2}`),
		"hook":    a.addAudit(at.Add(-3*time.Hour), "admin", "webhook_endpoint.rotate", "webhook_endpoint", "3", `{}`),
	}
	tests := []struct {
		query string
		want  []string // entries, newest first
	}{
		{"actor=ALI", []string{"place", "create"}},
		{"actor=alice%40example.com", []string{"create"}},
		{"action=hold.place", []string{"place"}},
		{"entity=hold", []string{"place"}},
		{"entity=payout", []string{"place", "create"}},
		{"entity=payout&entity_id=P-1", []string{"create"}},
		{"entity=recon", []string{"signoff"}},
		{"entity=token", []string{"token"}},
		{"entity_id=4", []string{"token"}},
		{"from=2026-01-02&to=2026-01-02", []string{"place", "create"}},
		{"to=2026-01-01", []string{"hook", "market", "token", "signoff"}},
		{"entity=market", []string{"market"}},
		{"entity=webhook_endpoint", []string{"hook"}},
		{"from=2026-01-02&actor=cli", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, page := c.get("/audit?" + tt.query)
			if code != http.StatusOK {
				t.Fatalf("%d", code)
			}
			var got []string
			for name, id := range ids {
				if byID(t, page, "audit-"+id) != nil {
					got = append(got, name)
				}
			}
			slices.SortFunc(got, func(x, y string) int { return strings.Compare(ids[y], ids[x]) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 {
				if msg, ok := textByID(t, page, "audit-empty"); !ok || !strings.Contains(msg, "No entries match") {
					t.Errorf("empty list says %q", msg)
				}
			}
			if tt.query == "entity=market" && !strings.Contains(page, `href="/markets/PH?program=sellers"`) {
				t.Error("a market's entry does not link to its market")
			}
			if csv := attr(byID(t, page, "audit-csv"), "href"); csv != "/audit.csv?"+sortedQuery(tt.query) {
				t.Errorf("CSV link %q, want the same filters", csv)
			}
		})
	}
}

// The form shows the filter the page is showing.
func TestAuditLogFormKeepsTheFilter(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	_, page := c.get("/audit?entity=hold&actor=ali")
	form := byID(t, page, "audit-filter")
	actor := find(form, func(n *html.Node) bool { return attr(n, "name") == "actor" })
	entity := find(form, func(n *html.Node) bool { return attr(n, "name") == "entity" })
	chosen := find(entity, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
	if attr(actor, "value") != "ali" || chosen == nil || attr(chosen, "value") != "hold" {
		t.Errorf("the form does not keep the filter: actor %q, entity %v", attr(actor, "value"), chosen)
	}
}

func hasAttr(n *html.Node, key string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == key })
}

// detailsOf returns an entry's details as "key: value" lines.
func detailsOf(t *testing.T, page, rowID string) []string {
	t.Helper()
	var out []string
	dl := selectOne(t, page, rowID, "kv")
	for n := dl.FirstChild; n != nil; n = n.NextSibling {
		switch n.Data {
		case "dt":
			out = append(out, textOf(n)+":")
		case "dd":
			out[len(out)-1] += " " + textOf(n)
		}
	}
	return out
}

// sortedQuery is a query string with its values in Encode's order.
func sortedQuery(q string) string {
	v, _ := url.ParseQuery(q)
	return v.Encode()
}

// Each entry links to what it is about where that has a page; details read
// as key: value with account numbers masked.
func TestAuditLogRows(t *testing.T) {
	a := newApp(t, withDrills())
	clients := auditClients(a)
	now := time.Now()
	ids := map[string]string{
		"payout": a.addAudit(now, "ops", "payout.create", "payout", "P 1/x", `{"amount": "12.50"}`),
		"hold": a.addAudit(now, "compliance", "hold.release", "payout", "P-2",
			`{"hold": 7, "note": "checked", "beneficiary": {"account_number": "123456789012"}, "tags": ["a", "b"]}`),
		"day":    a.addAudit(now, "finance", "recon.sign_off", "recon", "sandbox/2026-01-02", `{"run": 5}`),
		"drill":  a.addAudit(now, "admin", "drill.start", "drill", "9", `{"scenario": "all-of-them"}`),
		"owners": a.addAudit(now, "admin", "hold_reason.update", "hold_reason", "beneficiary", `{"sla_minutes": 60}`),
		"user":   a.addAudit(now, "cli", "user.create", "user", "3", `null`),
		"token":  a.addAudit(now, "cli", "token.create", "api_token", "4", `{}`),
	}
	links := map[string]string{"payout": "/payouts/P%201%2Fx", "hold": "/payouts/P-2",
		"day": "/reconciliation/sandbox/2026-01-02", "drill": "/drills/9", "owners": "/holds/owners",
		"user": "/settings/users#user-3", "token": "/settings/tokens#token-4"}
	for _, role := range []payout.Role{payout.RoleAdmin, payout.RoleCompliance} {
		_, page := clients[role].get("/audit")
		for name, id := range ids {
			link := find(byID(t, page, "audit-"+id), func(n *html.Node) bool { return hasClass(n, "entity-link") })
			want := links[name]
			if (name == "drill" || name == "user" || name == "token") && role != payout.RoleAdmin {
				want = "" // only admins open drills, users and tokens
			}
			if got := ""; link != nil {
				got = attr(link, "href")
				if got != want {
					t.Errorf("%s: %s links to %q, want %q", role, name, got, want)
				}
			} else if want != "" {
				t.Errorf("%s: %s has no link, want %q", role, name, want)
			}
		}
	}
	_, page := clients[payout.RoleAdmin].get("/audit")
	row := "audit-" + ids["hold"]
	if got := textOf(selectOne(t, page, row, "audit-entity")); got != "hold P-2 · hold #7" {
		t.Errorf("hold entity %q", got)
	}
	details := detailsOf(t, page, row)
	want := []string{"beneficiary.account_number: XXXXXXXX9012", "hold: 7", "note: checked", "tags: a, b"}
	if !slices.Equal(details, want) {
		t.Errorf("details %q, want %q", details, want)
	}
	if strings.Contains(page, "123456789012") {
		t.Error("the page shows a whole account number")
	}
	// An entry without details reads as its action, with nothing to open.
	for name, action := range map[string]string{"user": "user.create", "token": "token.create"} {
		if got := textOf(selectOne(t, page, "audit-"+ids[name], "audit-details")); got != action {
			t.Errorf("%s with no details shows %q", name, got)
		}
	}
}

func TestAuditLogPages(t *testing.T) {
	a := newApp(t)
	a.addUser("compliance@example.com", payout.RoleCompliance)
	c := a.client()
	c.login("compliance@example.com")
	for i := range 230 {
		a.addAudit(time.Now(), "cli", "user.role", "user", fmt.Sprint(i), `{}`)
	}
	seen := map[string]bool{}
	path := "/audit?action=user.role"
	var sizes []int
	for path != "" {
		code, page := c.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		rows := textsOf(t, page, "audit-table", "audit-entity")
		sizes = append(sizes, len(rows))
		for _, r := range rows {
			if seen[r] {
				t.Errorf("%s on two pages", r)
			}
			seen[r] = true
		}
		path = ""
		if older := byID(t, page, "audit-older"); older != nil {
			path = attr(older, "href")
			if !strings.Contains(path, "action=user.role") || !strings.Contains(path, "before=") {
				t.Errorf("Older link %q loses the filter or the page", path)
			}
		}
		if newest := byID(t, page, "audit-newest"); (newest != nil) != (len(sizes) > 1) {
			t.Errorf("page %d: Newest link shown %v", len(sizes), newest != nil)
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 30}) || len(seen) != 230 {
		t.Errorf("pages of %v, %d entries", sizes, len(seen))
	}
}

// A filter that makes no sense is 422 with the form and what to fix, never
// an error page or what was typed unescaped; the CSV says 400.
func TestAuditLogBadFilters(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	script := "<script>alert(1)</script>"
	tests := []struct{ query, problem string }{
		{"from=2026-13-01", `From "2026-13-01" is not a date`},
		{"to=yesterday", `To "yesterday" is not a date`},
		{"from=2026-02-02&to=2026-02-01", "From 2026-02-02 is after to 2026-02-01."},
		{"entity=invoice", `There is no entity kind "invoice"`},
		{"entity=" + url.QueryEscape(script), "There is no entity kind"},
		{"action=" + url.QueryEscape(script), "There is no action"},
		{"actor=" + strings.Repeat("x", 201), "The actor is longer than 200 characters."},
		{"before=abc", "Older than must be an entry number"},
		{"before=-5", "Older than must be an entry number"},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 30)], func(t *testing.T) {
			code, page := c.get("/audit?" + tt.query)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("page: %d, want 422", code)
			}
			if got, _ := textByID(t, page, "audit-problems"); !strings.Contains(got, tt.problem) {
				t.Errorf("problems %q, want %q", got, tt.problem)
			}
			if byID(t, page, "audit-filter") == nil || byID(t, page, "audit-table") != nil {
				t.Error("want the form and no entries")
			}
			if strings.Contains(page, script) {
				t.Error("the page shows what was typed unescaped")
			}
			code, body := c.get("/audit.csv?" + tt.query)
			if code != http.StatusBadRequest || strings.Contains(body, script) {
				t.Errorf("CSV: %d, want 400 without the script", code)
			}
			if got, _ := textByID(t, body, "error"); !strings.Contains(got, tt.problem) {
				t.Errorf("CSV's error %q, want %q", got, tt.problem)
			}
		})
	}
}
