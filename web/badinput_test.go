package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store/pgtest"
)

// invalid are values no form or filter may store: not text, or too long.
var invalid = []string{"\xff\xfe\xfd", "a\x00b", strings.Repeat("x", 1<<20)}

// odd are text no form or filter expects: SQL and HTML meta characters,
// huge numbers, paths. Where a form takes free text they are stored as
// they are and shown escaped.
var odd = []string{"<script>alert(1)</script>", "' OR 1=1 --", `"; DROP TABLE payouts; --`,
	"99999999999999999999999999", "-1", "1e400", "%00", "../../etc/passwd"}

// Every page, filter and form of the dashboard, sent hostile values by a
// user allowed to use it: a 4xx with a message or the page, never a 5xx;
// values that are not text or too long change nothing; and text a page
// shows back is escaped.
func TestHostileInputToEveryForm(t *testing.T) {
	a := newApp(t)
	a.withToken()
	for _, u := range []struct {
		email string
		role  payout.Role
	}{{"ops@example.com", payout.RoleOps}, {"finance@example.com", payout.RoleFinance},
		{"compliance@example.com", payout.RoleCompliance}, {"admin@example.com", payout.RoleAdmin}} {
		a.addUser(u.email, u.role)
	}
	hold := a.heldPayout("BAD-1", expiredTax)
	day := pastDay(2)
	pgtest.NewReconFixture(t, a.store, day)
	if _, err := a.store.Reconcile(context.Background(), "sandbox", day, day, day.Add(24*time.Hour), "upload", "test", nil, false); err != nil {
		t.Fatal(err)
	}
	var diff string
	a.store.DB().Get(&diff, `SELECT id::text FROM recon_diffs LIMIT 1`)
	dayURL := "/reconciliation/sandbox/" + day.Format(time.DateOnly)
	before := a.snapshot()

	clients := map[string]*client{}
	as := func(email string) *client {
		if clients[email] == nil {
			clients[email] = a.client()
			clients[email].login(email)
		}
		return clients[email]
	}
	check := func(what string, code int, body string) {
		t.Helper()
		if code >= 500 {
			t.Errorf("%s: %d\n%.300s", what, code, body)
		}
		if strings.Contains(body, "<script>alert(1)</script>") {
			t.Errorf("%s: the page shows a script unescaped", what)
		}
	}
	gets := []string{"/payouts/stuck?provider=%s&page=%s", "/payouts/%s", "/holds?reason=%s&owner=%s", "/webhooks?provider=%s&outcome=%s",
		"/reconciliation?to=%s", dayURL + "?v=%s&kind=%s&page=%s", "/reconciliation/%s/%s", dayURL + "/diffs.csv?v=%s&kind=%s",
		"/jobs", "/holds/owners", "/?x=%s"}
	posts := []struct {
		who, path string
		fields    []string
	}{
		{"ops@example.com", "/holds/" + hold + "/evidence", []string{"note", "tax_artifact"}},
		{"ops@example.com", "/holds/" + hold + "/evidence", []string{"note"}},
		{"ops@example.com", "/holds/" + hold + "/reassign", []string{"note", "owner"}},
		{"ops@example.com", "/holds/" + hold + "/escalate", []string{"note"}},
		{"compliance@example.com", "/holds/" + hold + "/release", []string{"note"}},
		{"compliance@example.com", "/holds/" + hold + "/reject", []string{"note"}},
		{"ops@example.com", "/holds/bulk", []string{"action", "note", "hold"}},
		{"admin@example.com", "/holds/owners", []string{"owner_beneficiary", "next_beneficiary", "sla_beneficiary"}},
		{"ops@example.com", "/payouts/%s/recheck", nil},
		{"admin@example.com", "/jobs/%s/run", nil},
		{"finance@example.com", dayURL + "/run", []string{"confirm"}},
		{"finance@example.com", dayURL + "/signoff", []string{"version"}},
		{"finance@example.com", "/reconciliation/diffs/" + diff + "/resolve", []string{"note", "as", "back"}},
		{"finance@example.com", "/reconciliation/diffs/%s/recheck", nil},
		{"finance@example.com", "/reconciliation/%s/%s/upload", nil},
	}
	for i, v := range append(invalid, odd...) {
		if i == len(invalid) {
			if after := a.snapshot(); after != before {
				t.Errorf("invalid input changed something:\n before %s\n after  %s", before, after)
			}
		}
		q := url.QueryEscape(v)
		p := url.PathEscape(v)
		for _, g := range gets {
			path := strings.ReplaceAll(g, "%s", q)
			if strings.HasPrefix(g, "/payouts/%s") || strings.HasPrefix(g, "/reconciliation/%s") {
				path = strings.ReplaceAll(g, "%s", p)
			}
			code, body := as("finance@example.com").get(path)
			check("GET "+path[:min(len(path), 80)], code, body)
		}
		for _, f := range posts {
			form := url.Values{}
			for _, name := range f.fields {
				form.Set(name, v)
			}
			path := strings.ReplaceAll(f.path, "%s", p)
			code, body, _ := as(f.who).do("POST", path, form, nil)
			check("POST "+path[:min(len(path), 80)]+" "+strings.Join(f.fields, ","), code, body)
		}
		code, body, _ := as("finance@example.com").upload(dayURL+"/upload", "report", v, []byte(v))
		check("upload", code, body)
		report := strings.Join(payout.SettlementColumns, ",") + "\n" + `"` + strings.ReplaceAll(v, `"`, `""`) + `",R1,1.00,INR,SUCCESS,,` + "\n"
		code, body, _ = as("finance@example.com").upload(dayURL+"/upload", "report", "r.csv", []byte(report))
		check("upload with "+v[:min(len(v), 20)], code, body)
		code, body, _ = a.client().do("POST", "/login", url.Values{"email": {v}, "password": {v}}, nil)
		check("login", code, body)
	}
	// The evidence ops added with a script in it shows as text.
	if _, page := as("compliance@example.com").get("/payouts/BAD-1"); !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the evidence with a script in it is not on the payout's page, escaped")
	}
}

// snapshot counts what forms could change (running a day again is always
// allowed, so new versions do not count).
func (a *app) snapshot() string {
	a.t.Helper()
	var s string
	err := a.store.DB().Get(&s, `SELECT concat_ws(' ',
		(SELECT count(*) FROM payouts), (SELECT count(*) FROM holds WHERE state = 'open'), (SELECT count(*) FROM hold_evidence),
		(SELECT count(*) FROM recon_diffs WHERE resolution <> 'open'), (SELECT count(*) FROM recon_runs WHERE signed_off_by IS NOT NULL),
		(SELECT string_agg(coalesce(owner_id::text, '-') || '/' || sla_minutes, ',' ORDER BY reason) FROM hold_reasons),
		(SELECT count(*) FROM users))`)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// The platform API, sent what no payout request should be: a 4xx with a
// JSON message for each, never a 5xx, nothing stored; text that is valid
// is stored as it is and shown escaped.
func TestHostileInputToTheAPI(t *testing.T) {
	a := newApp(t)
	a.withToken()
	deep := strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000)
	bodies := map[string]string{
		"invalid UTF-8":          strings.Replace(apiBody("H-1", nil), "Seller payout", "Seller \xff payout", 1),
		"NUL in narration":       strings.Replace(apiBody("H-2", nil), "Seller payout", `Seller \u0000 payout`, 1),
		"NUL in metadata":        strings.Replace(apiBody("H-3", nil), `"S-9"`, `"S\u00009"`, 1),
		"half a character":       strings.Replace(apiBody("H-13", nil), `"S-9"`, `"S\ud8009"`, 1),
		"number past numeric":    strings.Replace(apiBody("H-14", nil), `"S-9"`, `1e99999`, 1),
		"deeply nested":          strings.Replace(apiBody("H-4", nil), `{"seller":"S-9"}`, deep, 1),
		"nested past the parser": strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		"number amount":          strings.Replace(apiBody("H-5", nil), `"1250.00"`, `1e400`, 1),
		"huge amount":            strings.Replace(apiBody("H-6", nil), `"1250.00"`, `"99999999999999999999.00"`, 1),
		"SQL reference":          strings.Replace(apiBody("H-7", nil), `"H-7"`, `"H-7'; DROP TABLE payouts; --"`, 1),
		"HTML reference":         strings.Replace(apiBody("H-8", nil), `"H-8"`, `"<script>"`, 1),
		"over 64 KB":             strings.Replace(apiBody("H-9", nil), "Seller payout", strings.Repeat("x", 70000), 1),
		"two objects":            apiBody("H-10", nil) + apiBody("H-11", nil),
		"not an object":          `["H-12"]`,
		"empty":                  ``,
	}
	for what, body := range bodies {
		code, p, h := a.api("POST", "/api/v1/payouts", apiToken, body)
		if code < 400 || code >= 500 || p["message"] == nil || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: %d %v", what, code, p)
		}
	}
	for _, ref := range []string{"%FF%FE", "a%00b", "'%20OR%201=1%20--"} {
		if code, p, _ := a.api("GET", "/api/v1/payouts/"+ref, apiToken, ""); code < 400 || code >= 500 {
			t.Errorf("GET %s: %d %v", ref, code, p)
		}
	}
	var n int
	a.store.DB().Get(&n, `SELECT count(*) FROM payouts`)
	if n != 0 {
		t.Errorf("refused requests stored %d payouts", n)
	}
	// Meta characters in free text are text: stored and shown escaped.
	code, _, _ := a.api("POST", "/api/v1/payouts", apiToken, strings.Replace(apiBody("H-20", nil), "Seller payout", `<b>Seller</b> 'payout'; --`, 1))
	if code != 202 {
		t.Fatalf("narration with meta characters: %d", code)
	}
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	if _, page := c.get("/payouts/H-20"); !strings.Contains(page, "&lt;b&gt;Seller&lt;/b&gt; &#39;payout&#39;; --") {
		t.Error("the narration is not on the payout's page, escaped")
	}
}

// A dashboard form sent as multipart (a file in it) is refused before it is
// parsed, except the settlement report's upload: nothing is written to disk
// for it and nothing changes.
func TestMultipartIsOnlyForTheUpload(t *testing.T) {
	a := newApp(t)
	a.addUser("ops@example.com", payout.RoleOps)
	c := a.client()
	c.login("ops@example.com")
	code, body, _ := c.upload("/test-data", "on", "big.bin", bytes.Repeat([]byte("x"), 1<<20))
	if code != http.StatusBadRequest || !strings.Contains(body, "only a settlement report is uploaded as a file") {
		t.Errorf("multipart to /test-data: %d %.200s", code, body)
	}
	if _, page := c.get("/"); strings.Contains(page, "You are viewing test data") {
		t.Error("the refused post switched to test data")
	}
}

// A query with a pair the address's syntax cannot read (a raw ";") is
// refused, not read without that pair: a filter written so would list
// everything. A folder of /static/ is not listed.
func TestUnreadableQueriesAreRefused(t *testing.T) {
	a := newApp(t)
	a.addUser("admin@example.com", payout.RoleAdmin)
	c := a.client()
	c.login("admin@example.com")
	for _, path := range []string{"/payouts?status=FAILED;x", "/payouts.csv?status=FAILED;x", "/audit?action=x;y",
		"/payouts/stuck?provider=sandbox;page=2"} {
		if code, body := c.get(path); code != http.StatusBadRequest || !strings.Contains(body, "write a ; in a value as %3B") {
			t.Errorf("%s: %d %.300s", path, code, body)
		}
	}
	if code, body := c.get("/payouts?q=100%"); code != http.StatusBadRequest || !strings.Contains(body, "write a % in a value as %25") {
		t.Errorf("a bad %%-escape: %d %.300s", code, body)
	}
	if code, body := c.get("/payouts?q=a%3Bb"); code != http.StatusOK {
		t.Errorf("an escaped ; in a search: %d %.300s", code, body)
	}
	if code, body := c.get("/static/"); code != http.StatusNotFound || strings.Contains(body, "app.css") {
		t.Errorf("/static/: %d %.300s", code, body)
	}
	if code, _ := c.get("/static/app.css"); code != http.StatusOK {
		t.Errorf("/static/app.css: %d", code)
	}
	// A provider's delivery reads no query: one it cannot read is still
	// stored and answered as the endpoint answers (here: unsigned, 401).
	code, out := postWebhook(t, a.srv.URL, "sandbox?a;b", `{"event":"x"}`, nil)
	if code != http.StatusUnauthorized || out["outcome"] != "rejected" {
		t.Errorf("a delivery with an unreadable query: %d %v", code, out)
	}
}

// A provider's webhook endpoint asked with another method than POST says
// so (405, Allow: POST), in JSON, as the endpoint answers.
func TestWebhookEndpointTakesPostOnly(t *testing.T) {
	a := newApp(t)
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		req, _ := http.NewRequest(method, a.srv.URL+"/webhooks/sandbox", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" ||
			res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s /webhooks/sandbox: %d %v", method, res.StatusCode, res.Header)
		}
	}
}
