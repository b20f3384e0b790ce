package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
)

// apiPage is a page of GET /api/v1/payouts, or its error.
type apiPage struct {
	Data       []map[string]any  `json:"data"`
	NextCursor *string           `json:"next_cursor"`
	Error      string            `json:"error"`
	Message    string            `json:"message"`
	Fields     map[string]string `json:"fields"`
}

func (p apiPage) refs() []string {
	var out []string
	for _, item := range p.Data {
		out = append(out, item["reference_id"].(string))
	}
	return out
}

// list calls GET /api/v1/payouts with the query as written (already
// escaped) and returns the status, the page and the body.
func (a *app) list(token, query string) (int, apiPage, []byte) {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.srv.URL+"/api/v1/payouts?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var page apiPage
	if err := json.Unmarshal(raw, &page); err != nil {
		a.t.Fatalf("GET /api/v1/payouts?%s: %d, not JSON: %s", query, resp.StatusCode, raw)
	}
	return resp.StatusCode, page, raw
}

// listAll walks the list a page at a time and returns every reference.
func (a *app) listAll(token, query string) []string {
	a.t.Helper()
	var out []string
	cursor := ""
	for range 100 {
		code, page, raw := a.list(token, query+cursor)
		if code != http.StatusOK {
			a.t.Fatalf("?%s: %d %s", query+cursor, code, raw)
		}
		out = append(out, page.refs()...)
		if page.NextCursor == nil {
			return out
		}
		cursor = "&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	a.t.Fatal("more than 100 pages")
	return nil
}

// listed is a payout recorded straight into the store for the list tests.
type listed struct {
	ref, provider     string
	status            payout.Status
	created, updated  time.Duration // after the fixture's day
	utr, providerPaID string
}

// addListed records the payouts, each created and last changed when it
// says, with its UTR and provider payout id.
func (a *app) addListed(day time.Time, ps ...listed) {
	a.t.Helper()
	for _, p := range ps {
		_, err := a.store.CreatePayout(context.Background(), "test", store.NewPayout{
			ReferenceID: p.ref, Provider: p.provider, ProviderPayoutID: p.providerPaID, Status: p.status,
			Amount: payout.Money{Minor: 125050, Currency: "INR"}, Mode: "IMPS", CreatedAt: day.Add(p.created),
			Beneficiary: store.Beneficiary{Name: "Asha Rao", AccountNumber: "123456789012", IFSC: "HDFC0001234"},
			Test:        payout.IsTestProvider(p.provider), // as intake decides it
		})
		if err != nil {
			a.t.Fatal(err)
		}
		a.exec(`UPDATE payouts SET utr = $2, updated_at = $3 WHERE reference_id = $1`, p.ref, p.utr, day.Add(p.updated))
	}
}

func (a *app) exec(query string, args ...any) {
	a.t.Helper()
	if _, err := a.store.DB().Exec(query, args...); err != nil {
		a.t.Fatal(err)
	}
}

const hour = time.Hour

func TestAPIListFiltersByEachParameter(t *testing.T) {
	a := newApp(t)
	tok := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeTest, RatePerSecond: 1000})
	day := time.Now().UTC().Truncate(24*hour).AddDate(0, 0, -10)
	a.addListed(day,
		listed{"L-1", "sandbox", payout.Processing, 1 * hour, 2 * hour, "", "sbx_L-1"},
		listed{"L-2", "sandbox", payout.Failed, 24 * hour, 72 * hour, "", "sbx_L-2"},
		listed{"L-3", "sandbox", payout.Queued, 48 * hour, 48 * hour, "", "sbx_L-3"},
		listed{"L-4", "drill", payout.Succeeded, 49 * hour, 50 * hour, "UTR-L4", "drl_L-4"},
		listed{"L-5", "sandbox", payout.Held, 72 * hour, 73 * hour, "", ""},
		listed{"L-LIVE", "nxtbanking", payout.Succeeded, 50 * hour, 50 * hour, "UTR-LIVE", "nxt_L-LIVE"},
	)
	// L-1 succeeds with a fee (ledger entries), L-5 has an open hold.
	if _, err := a.store.ApplyObservation(context.Background(), "L-1", store.First(true), payout.Observation{Source: payout.SourceWebhook,
		Status: payout.Succeeded, UTR: "UTR-L1", Fee: &payout.Money{Minor: 500, Currency: "INR"}}); err != nil {
		t.Fatal(err)
	}
	a.exec(`UPDATE payouts SET updated_at = $1 WHERE reference_id = 'L-1'`, day.Add(2*hour))
	a.exec(`INSERT INTO holds (payout_id, reason, detail, placed_by, sla_due_at)
		SELECT id, 'review_threshold', 'review', 'test', now() + interval '1 day'
		FROM payouts WHERE reference_id = 'L-5'`)
	at := func(d time.Duration) string { return url.QueryEscape(day.Add(d).Format(time.RFC3339Nano)) }
	ist := url.QueryEscape(day.Add(24 * hour).In(time.FixedZone("IST", 5*3600+1800)).Format(time.RFC3339))

	tests := []struct {
		name, query string
		want        []string
	}{
		{"everything of the scope, newest first", "", []string{"L-5", "L-4", "L-3", "L-2", "L-1"}},
		{"a status", "status=SUCCEEDED", []string{"L-4", "L-1"}},
		{"statuses comma-separated, any case", "status=succeeded,Failed", []string{"L-4", "L-2", "L-1"}},
		{"statuses repeated", "status=FAILED&status=QUEUED", []string{"L-3", "L-2"}},
		{"a provider", "provider=sandbox", []string{"L-5", "L-3", "L-2", "L-1"}},
		{"the drill provider", "provider=drill", []string{"L-4"}},
		{"created_after is inclusive", "created_after=" + at(24*hour), []string{"L-5", "L-4", "L-3", "L-2"}},
		{"created_after in another zone", "created_after=" + ist, []string{"L-5", "L-4", "L-3", "L-2"}},
		{"created_after a microsecond later", "created_after=" + at(24*hour+time.Microsecond),
			[]string{"L-5", "L-4", "L-3"}},
		{"created_after a nanosecond later", "created_after=" + at(24*hour+time.Nanosecond),
			[]string{"L-5", "L-4", "L-3"}},
		{"created_before is exclusive", "created_before=" + at(24*hour), []string{"L-1"}},
		{"a created window", "created_after=" + at(24*hour) + "&created_before=" + at(48*hour), []string{"L-2"}},
		{"updated_after is inclusive", "updated_after=" + at(50*hour), []string{"L-5", "L-4", "L-2"}},
		{"a provider payout id", "provider_payout_id=sbx_L-3", []string{"L-3"}},
		{"a UTR", "utr=UTR-L1", []string{"L-1"}},
		{"a UTR nobody has", "utr=UTR-NONE", nil},
		{"another scope's UTR", "utr=UTR-LIVE", nil},
		{"another scope's provider payout id", "provider_payout_id=nxt_L-LIVE", nil},
		{"filters together", "status=SUCCEEDED,FAILED&provider=sandbox&created_before=" + at(48*hour),
			[]string{"L-2", "L-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, page, raw := a.list(tok, tt.query)
			if code != http.StatusOK || !slices.Equal(page.refs(), tt.want) || page.NextCursor != nil {
				t.Fatalf("%d %v, want %v on one page: %s", code, page.refs(), tt.want, raw)
			}
			if page.Data == nil {
				t.Fatal("data is null, want a list")
			}
			// A page at a time, the same payouts.
			if got := a.listAll(tok, tt.query+"&limit=1"); !slices.Equal(got, tt.want) {
				t.Fatalf("a page at a time: %v, want %v", got, tt.want)
			}
		})
	}

	// limit: a full last page has no next_cursor; a cursor carries on.
	code, page, _ := a.list(tok, "limit=2")
	if code != http.StatusOK || !slices.Equal(page.refs(), []string{"L-5", "L-4"}) || page.NextCursor == nil {
		t.Fatalf("limit=2: %d %v %v", code, page.refs(), page.NextCursor)
	}
	_, page, _ = a.list(tok, "limit=2&cursor="+url.QueryEscape(*page.NextCursor))
	if !slices.Equal(page.refs(), []string{"L-3", "L-2"}) || page.NextCursor == nil {
		t.Fatalf("second page: %v", page.refs())
	}
	if _, page, _ = a.list(tok, "limit=5"); len(page.Data) != 5 || page.NextCursor != nil {
		t.Fatalf("limit=5 of 5: %v, next %v", page.refs(), page.NextCursor)
	}
	if _, page, _ = a.list(tok, "limit=500"); len(page.Data) != 5 {
		t.Fatalf("limit=500: %v", page.refs())
	}

	// Each item is what GET /api/v1/payouts/{ref} answers.
	_, page, _ = a.list(tok, "")
	for _, item := range page.Data {
		ref := item["reference_id"].(string)
		_, one, _ := a.api("GET", "/api/v1/payouts/"+ref, tok, "")
		if !reflect.DeepEqual(item, one) {
			t.Errorf("%s listed as %v, answered as %v", ref, item, one)
		}
	}
	byRef := map[string]map[string]any{}
	for _, item := range page.Data {
		byRef[item["reference_id"].(string)] = item
	}
	if n := len(byRef["L-1"]["ledger"].([]any)); n != 4 || byRef["L-1"]["fee"] != "5.00" {
		t.Errorf("L-1 listed with %d ledger entries and fee %v, want 4 and 5.00", n, byRef["L-1"]["fee"])
	}
	holds := byRef["L-5"]["holds"].([]any)
	if len(holds) != 1 || holds[0].(map[string]any)["reason"] != "review_threshold" {
		t.Errorf("L-5 listed with holds %v", holds)
	}
	if m, ok := byRef["L-3"]["metadata"].(map[string]any); !ok || len(m) != 0 {
		t.Errorf("L-3's metadata is %v, want {}", byRef["L-3"]["metadata"])
	}
}

// A walk through the list, three pages, while the platform keeps sending
// payouts: every payout there when the walk began is seen once, in order,
// and the new ones are on the next walk's first page.
func TestAPIListCursorWalkWhilePayoutsArrive(t *testing.T) {
	a := newApp(t)
	a.withToken()
	var before []string
	for i := range 9 {
		ref := "WALK-" + strconv.Itoa(i)
		if code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody(ref, nil)); code != http.StatusAccepted {
			t.Fatalf("create %s: %d %v", ref, code, p)
		}
		before = append([]string{ref}, before...) // newest first
	}
	var seen, arrived []string
	query := "limit=3"
	pages := 0
	for {
		code, page, raw := a.list(apiToken, query)
		if code != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages+1, code, raw)
		}
		pages++
		seen = append(seen, page.refs()...)
		if page.NextCursor == nil {
			break
		}
		for j := range 2 {
			ref := "NEW-" + strconv.Itoa(pages) + "-" + strconv.Itoa(j)
			code, p, _ := a.api("POST", "/api/v1/payouts", apiToken, apiBody(ref, nil))
			if code != http.StatusAccepted {
				t.Fatalf("create %s: %d %v", ref, code, p)
			}
			arrived = append([]string{ref}, arrived...)
		}
		query = "limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if pages != 3 || !slices.Equal(seen, before) {
		t.Fatalf("%d pages saw %v, want 3 pages of %v", pages, seen, before)
	}
	if _, page, _ := a.list(apiToken, "limit=4"); !slices.Equal(page.refs(), arrived) {
		t.Fatalf("a new walk starts with %v, want the payouts sent meanwhile %v", page.refs(), arrived)
	}
}

// Live and test tokens list disjoint sets of payouts, each its own scope's
// whole; a drills token lists nothing.
func TestAPIListWithinTheTokensScope(t *testing.T) {
	a := newApp(t)
	live := a.token(store.TokenSpec{Name: "shop", Scope: payout.ScopeLive})
	test := a.token(store.TokenSpec{Name: "try", Scope: payout.ScopeTest})
	drills := a.token(store.TokenSpec{Name: "ops", Scope: payout.ScopeDrills})
	day := time.Now().UTC().Add(-24 * hour)
	a.addListed(day,
		listed{"S-NXT", "nxtbanking", payout.Succeeded, 1 * hour, 1 * hour, "UTR-SHARED", "nxt_1"},
		listed{"S-RZP", "razorpayx", payout.Queued, 2 * hour, 2 * hour, "", "rzp_1"},
		listed{"S-SBX", "sandbox", payout.Succeeded, 3 * hour, 3 * hour, "UTR-SHARED", "sbx_1"},
		listed{"S-DRL", "drill", payout.Processing, 4 * hour, 4 * hour, "", "drl_1"},
	)
	for _, tt := range []struct {
		name, token, query string
		want               []string
	}{
		{"live", live, "", []string{"S-RZP", "S-NXT"}},
		{"test", test, "", []string{"S-DRL", "S-SBX"}},
		{"live, a UTR both scopes have", live, "utr=UTR-SHARED", []string{"S-NXT"}},
		{"test, a UTR both scopes have", test, "utr=UTR-SHARED", []string{"S-SBX"}},
		{"live, a status", live, "status=SUCCEEDED", []string{"S-NXT"}},
	} {
		if got := a.listAll(tt.token, tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct{ token, provider, says string }{
		{live, "sandbox", "this is a live token: it lists only the payouts of nxtbanking, paywize, razorpayx, xendit"},
		{live, "drill", "this is a live token"},
		{test, "nxtbanking", "this is a test token: it lists only the payouts of sandbox, drill"},
	} {
		code, page, raw := a.list(tt.token, "provider="+tt.provider)
		msg := page.Fields["provider"]
		if code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, tt.says) || len(page.Fields) != 1 {
			t.Errorf("provider=%s: %d %s, want 422 saying %q", tt.provider, code, raw, tt.says)
		}
	}
	if code, page, _ := a.list(drills, ""); code != http.StatusForbidden || page.Error != "forbidden" {
		t.Errorf("drills token lists payouts: %d %+v", code, page)
	}
}
