package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"payops/payout"
	"payops/store"
)

// Every bad parameter is 422 naming it, whatever else is right; a message
// repeats at most a short piece of what was sent; nothing is recorded.
func TestAPIListRefusesBadParameters(t *testing.T) {
	a := newApp(t)
	tok := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeTest, RatePerSecond: 1000})
	a.addPayout("BAD-1", payout.Queued, 0)
	huge := strings.Repeat("A", 10000)
	cases := []struct {
		name, query, field, says string
	}{
		{"unknown status", "status=DONE", "status", `unknown status "DONE": use HELD, QUEUED,`},
		{"an empty status", "status=", "status", "empty status"},
		{"an empty status in a list", "status=QUEUED,,FAILED", "status", "empty status"},
		{"a huge status", "status=" + huge, "status", `unknown status "` + strings.Repeat("A", 40) + `…"`},
		{"unknown provider", "provider=paypal", "provider", `unknown provider "paypal": use one of sandbox, drill`},
		{"provider twice", "provider=sandbox&provider=drill", "provider", "is given more than once"},
		{"empty provider", "provider=", "provider", "is empty"},
		{"a date without a time", "created_after=2025-05-01", "created_after", "must be an RFC 3339 time"},
		{"a word", "created_after=yesterday", "created_after", "must be an RFC 3339 time"},
		{"a + unescaped", "created_after=2025-05-01T05:30:00+05:30", "created_after", "send a + in a query as %2B"},
		{"month 13", "created_before=2025-13-01T00:00:00Z", "created_before", "must be an RFC 3339 time"},
		{"Go's zero time", "created_before=0001-01-01T00:00:00Z", "created_before", "must be 1970-01-01T00:00:00Z or later"},
		{"before 1970", "updated_after=1969-12-31T23:59:59%2B05:30", "updated_after", "must be 1970-01-01T00:00:00Z or later"},
		{"an empty window", "created_after=2025-05-02T00:00:00Z&created_before=2025-05-01T00:00:00Z",
			"created_before", "must be later than created_after"},
		{"unix seconds", "updated_after=1714521600", "updated_after", "must be an RFC 3339 time"},
		{"limit 0", "limit=0", "limit", "must be a whole number from 1 to 500"},
		{"limit over 500", "limit=501", "limit", "from 1 to 500"},
		{"limit negative", "limit=-1", "limit", "from 1 to 500"},
		{"limit a word", "limit=ten", "limit", "from 1 to 500"},
		{"limit a fraction", "limit=2.5", "limit", "from 1 to 500"},
		{"limit huge", "limit=99999999999999999999999", "limit", "from 1 to 500"},
		{"a cursor that does not parse", "cursor=abc", "cursor", "is not a next_cursor of this list"},
		{"a cursor without an id", "cursor=1.0", "cursor", "is not a next_cursor"},
		{"a cursor past PostgreSQL's years", "cursor=zzzzzzzzzzzz.1", "cursor", "is not a next_cursor"},
		{"an unknown parameter", "sort=amount", "sort", "is not a parameter of this list: use status, provider,"},
		{"a parameter in another case", "Status=QUEUED", "Status", "is not a parameter of this list"},
		{"a NUL in a lookup", "provider_payout_id=%00", "provider_payout_id", "not text"},
		{"invalid UTF-8 in a lookup", "utr=%FF", "utr", "not text"},
		{"invalid UTF-8 in a status", "status=%FF", "status", "not text"},
	}
	payouts, audits := a.payoutCount(), a.auditCount()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A good parameter beside the bad one changes nothing.
			good := "utr=U-1&"
			if strings.HasPrefix(c.query, "utr=") {
				good = "limit=10&"
			}
			code, page, raw := a.list(tok, good+c.query)
			if code != http.StatusUnprocessableEntity || page.Error != "invalid_request" || len(page.Fields) != 1 ||
				!strings.Contains(page.Fields[c.field], c.says) {
				t.Fatalf("%d %s, want 422 with %s saying %q", code, raw, c.field, c.says)
			}
			if len(raw) > 400 {
				t.Fatalf("a %d-byte answer to a bad parameter: %s", len(raw), raw)
			}
		})
	}

	// Several bad parameters: each named.
	code, page, _ := a.list(tok, "status=DONE&limit=0&order=asc")
	if code != http.StatusUnprocessableEntity || len(page.Fields) != 3 || page.Fields["order"] == "" {
		t.Fatalf("three bad parameters: %d %+v", code, page)
	}
	// A huge unknown name is named by its first characters; bytes that
	// are not text are escaped.
	code, page, raw := a.list(tok, huge+"=1&%FF%00=2")
	want := map[string]bool{strings.Repeat("A", 40) + "…": true, `\xff\x00`: true}
	if code != http.StatusUnprocessableEntity || len(page.Fields) != 2 || len(raw) > 600 {
		t.Fatalf("unknown names: %d %s", code, raw)
	}
	for name := range page.Fields {
		if !want[name] || !utf8.ValidString(name) {
			t.Errorf("unknown parameter named %q", name)
		}
	}
	// An offset RFC 3339 allows and PostgreSQL does not (past 15:59) is the
	// same instant in UTC, not a 500.
	if code, _, raw := a.list(tok, "created_after=2025-05-01T00:00:00%2B16:00"); code != http.StatusOK {
		t.Fatalf("a +16:00 offset: %d %s", code, raw)
	}
	// A query string that does not parse is 400.
	if code, page, _ := a.list(tok, "status=%zz"); code != http.StatusBadRequest || page.Error != "bad_request" {
		t.Fatalf("a bad escape: %d %+v", code, page)
	}
	if a.payoutCount() != payouts || a.auditCount() != audits {
		t.Fatal("a refused list recorded something")
	}
}

func (a *app) auditCount() int {
	a.t.Helper()
	var n int
	if err := a.store.DB().Get(&n, `SELECT count(*) FROM audit_log`); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// The platform's metadata comes back as it sent it, in the create answer,
// GET /api/v1/payouts/{ref} and the list: nested objects, arrays, any
// Unicode (escaped or not), exact numbers, true, false and null.
func TestAPIMetadataRoundTrips(t *testing.T) {
	a := newApp(t)
	a.withToken()
	metadata := `{"seller": {"id": "S-9", "name": "Zoë Ω 日本語 עברית 🙂",
			"tags": ["a", "b", {"deep": [1, 2.50, -3]}]},
		"escaped": "caf\u00e9 \ud83d\ude00 \"quoted\" \\ <b>&amp;</b>", "big": 12345678901234567890,
		"small": 0.000001, "yes": true, "no": false, "nothing": null, "empty": {}, "list": [], "": "empty key",
		"line": "one\ntwo\ttab"}`
	body := apiBody("META-1", nil)
	body = strings.Replace(body, `"metadata":{"seller":"S-9"}`, `"metadata":`+metadata, 1)
	if !strings.Contains(body, "日本語") {
		t.Fatal("the body's metadata was not replaced")
	}
	sent := decodeExact(t, []byte(metadata))
	code, created := a.rawAPI("POST", "/api/v1/payouts", body)
	if code != http.StatusAccepted {
		t.Fatalf("create: %d %s", code, created)
	}
	_, got := a.rawAPI("GET", "/api/v1/payouts/META-1", "")
	_, listed := a.rawAPI("GET", "/api/v1/payouts?limit=1", "")
	for name, raw := range map[string][]byte{"created": created, "got": got} {
		var p struct{ Metadata json.RawMessage }
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if m := decodeExact(t, p.Metadata); !reflect.DeepEqual(m, sent) {
			t.Errorf("%s: metadata %s, want %s", name, p.Metadata, metadata)
		}
	}
	var page struct {
		Data []struct{ Metadata json.RawMessage }
	}
	if err := json.Unmarshal(listed, &page); err != nil || len(page.Data) != 1 {
		t.Fatalf("list: %v %s", err, listed)
	}
	if m := decodeExact(t, page.Data[0].Metadata); !reflect.DeepEqual(m, sent) {
		t.Errorf("listed: metadata %s, want %s", page.Data[0].Metadata, metadata)
	}
}

// decodeExact decodes JSON keeping numbers as written.
func decodeExact(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

// rawAPI calls the API with the test token and returns the answer's bytes.
func (a *app) rawAPI(method, path, body string) (int, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}
