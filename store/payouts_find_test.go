package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// findFixture is a handful of payouts that differ in every way a list
// filters on.
type findFixture struct {
	t   *testing.T
	s   *store.Store
	day time.Time // midnight UTC, three days ago
}

type fixturePayout struct {
	ref, provider, currency, market, name, account string
	minor                                          int64
	status                                         payout.Status
	createdDays                                    int // after f.day
	utr                                            string
}

func newFindFixture(t *testing.T) *findFixture {
	s := pgtest.New(t)
	f := &findFixture{t: t, s: s, day: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)}
	for _, p := range []fixturePayout{
		{"F-1", "sandbox", "INR", "IN", "Asha Rao", "123456789012", 125000, payout.Succeeded, 0, "UTR0001"},
		{"F-2", "sandbox", "INR", "IN", "Ravi Kumar", "555566667777", 50000, payout.Failed, 1, ""},
		{"F-3", "nxtbanking", "IDR", "ID", "Budi Santoso", "000011112222", 1250, payout.Processing, 1, ""},
		{"F-4", "nxtbanking", "INR", "IN", "ASHA MEHTA", "999988887777", 990000, payout.Queued, 2, ""},
		{"F-5", "drill", "INR", "IN", "Drill Beneficiary", "123412341234", 125000, payout.Succeeded, 2, "UTR0005"},
		{"F-6", "sandbox", "USD", "PH", "100% Sure_Ltd", "444433332222", 1250, payout.Held, 2, ""},
	} {
		_, err := s.CreatePayout(context.Background(), "test", store.NewPayout{
			ReferenceID: p.ref, Provider: p.provider, ProviderPayoutID: "pp_" + p.ref, Status: p.status, Market: p.market,
			Amount: payout.Money{Minor: p.minor, Currency: p.currency}, Mode: "IMPS",
			Beneficiary: store.Beneficiary{Name: p.name, AccountNumber: p.account, IFSC: "HDFC0001234"},
			CreatedAt:   f.day.Add(time.Duration(p.createdDays)*24*time.Hour + time.Hour),
			Test:        p.provider == payout.DrillProvider, // the sandbox's stand in for live payouts here
		})
		if err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE payouts SET utr = $2, updated_at = created_at + interval '1 hour' WHERE reference_id = $1`, p.ref, p.utr)
	}
	// F-6 has an open hold; F-2's webhook carried an event id.
	f.exec(`INSERT INTO holds (payout_id, reason, detail, placed_by, sla_due_at)
		SELECT id, 'review_threshold', 'review', 'test', now() + interval '1 day' FROM payouts WHERE reference_id = 'F-6'`)
	f.exec(`INSERT INTO webhook_deliveries (provider, headers, body, verified, event_id, outcome, payout_id)
		SELECT 'razorpayx', '{"X-Razorpay-Event-Id": "evt_RZP_42"}', '\x7b7d', true, 'sha256:abc', 'applied', id
		FROM payouts WHERE reference_id = 'F-2'`)
	f.exec(`INSERT INTO webhook_events (provider, event_id, delivery_id, raw_status, status, payout_id)
		SELECT 'razorpayx', 'sha256:abc', d.id, 'failed', 'FAILED', d.payout_id FROM webhook_deliveries d`)
	return f
}

func (f *findFixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.s.DB().Exec(query, args...); err != nil {
		f.t.Fatal(err)
	}
}

// refs returns the references q finds, in order, walking every page.
func (f *findFixture) refs(q store.PayoutQuery) []string {
	f.t.Helper()
	var out []string
	for {
		page, err := f.s.FindPayouts(context.Background(), q)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, p := range page.Payouts {
			out = append(out, p.ReferenceID)
		}
		if page.Next == nil {
			return out
		}
		q.After = page.Next
	}
}

func TestFindPayoutsByEveryFilter(t *testing.T) {
	f := newFindFixture(t)
	amounts, _ := payout.MinorBounds("1000", "5000")
	tests := []struct {
		name string
		q    store.PayoutQuery
		want []string
	}{
		{"all but drills, newest first", store.PayoutQuery{}, []string{"F-6", "F-4", "F-3", "F-2", "F-1"}},
		{"the drill provider when named", store.PayoutQuery{Provider: "drill"}, []string{"F-5"}},
		{"several statuses", store.PayoutQuery{Statuses: []payout.Status{payout.Failed, payout.Queued}}, []string{"F-4", "F-2"}},
		{"provider", store.PayoutQuery{Provider: "nxtbanking"}, []string{"F-4", "F-3"}},
		{"currency", store.PayoutQuery{Currency: "IDR"}, []string{"F-3"}},
		{"market", store.PayoutQuery{Market: "PH"}, []string{"F-6"}},
		{"created range", store.PayoutQuery{CreatedFrom: f.day.AddDate(0, 0, 1), CreatedTo: f.day.AddDate(0, 0, 2)},
			[]string{"F-3", "F-2"}},
		{"updated range", store.PayoutQuery{UpdatedFrom: f.day.AddDate(0, 0, 2)}, []string{"F-6", "F-4"}},
		{"amount range, per currency", store.PayoutQuery{Amounts: amounts}, []string{"F-3", "F-1"}},
		{"open hold", store.PayoutQuery{OpenHold: true}, []string{"F-6"}},
		{"stuck", store.PayoutQuery{StuckBefore: f.day.AddDate(0, 0, 3)}, []string{"F-4", "F-3"}},
		{"by amount, largest first", store.PayoutQuery{Sort: store.SortAmount, Currency: "INR"}, []string{"F-4", "F-1", "F-2"}},
		{"by last change", store.PayoutQuery{Sort: store.SortUpdated, Provider: "sandbox"}, []string{"F-6", "F-2", "F-1"}},
		{"provider payout id lookup", store.PayoutQuery{ProviderPayoutID: "pp_F-3"}, []string{"F-3"}},
		{"UTR lookup", store.PayoutQuery{UTR: "UTR0001"}, []string{"F-1"}},
		{"filters together", store.PayoutQuery{Provider: "sandbox", Statuses: []payout.Status{payout.Succeeded, payout.Failed},
			CreatedFrom: f.day.AddDate(0, 0, 1)}, []string{"F-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.refs(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			// Pages of one walk the same list.
			tt.q.Limit = 1
			if got := f.refs(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("a page at a time: %v, want %v", got, tt.want)
			}
			if n, exact, err := f.s.CountPayouts(context.Background(), tt.q); err != nil || !exact || n != len(tt.want) {
				t.Errorf("count %d (exact %v, %v), want %d", n, exact, err, len(tt.want))
			}
		})
	}
}

func TestSearchPayoutsByEveryIdentifier(t *testing.T) {
	f := newFindFixture(t)
	tests := []struct {
		q    string
		want []string
	}{
		{"F-3", []string{"F-3"}},             // our reference
		{"pp_F-4", []string{"F-4"}},          // the provider's payout id
		{"UTR0001", []string{"F-1"}},         // the UTR
		{"sha256:abc", []string{"F-2"}},      // a webhook's event id
		{"evt_RZP_42", []string{"F-2"}},      // RazorpayX's event id header
		{"asha", []string{"F-4", "F-1"}},     // part of a name, any case
		{"7777", []string{"F-4", "F-2"}},     // the account's last four
		{"XXXX7777", []string{"F-4", "F-2"}}, // as pages mask it
		{"1250.00", []string{"F-3", "F-1"}},  // 1,250.00 INR and 1,250 IDR; F-6 is 12.50 USD
		{"100% sure", []string{"F-6"}},       // LIKE's wildcards match themselves
		{"nobody-has-this", nil},             // none
		{"  F-2  ", []string{"F-2"}},         // trimmed
		{"pp_F-5", nil},                      // a drill payout: only with the drill provider named
	}
	every := []payout.Status{payout.Queued, payout.Held, payout.Processing, payout.Succeeded, payout.Failed,
		payout.Cancelled, payout.Reversed}
	for _, tt := range tests {
		got := f.refs(store.PayoutQuery{Search: payout.ParseSearch(tt.q)})
		if !slices.Equal(got, tt.want) {
			t.Errorf("search %q: %v, want %v", tt.q, got, tt.want)
		}
		// A page at a time, and with a filter that leaves every match (a
		// search with filters is read another way), the same.
		if got := f.refs(store.PayoutQuery{Search: payout.ParseSearch(tt.q), Limit: 1}); !slices.Equal(got, tt.want) {
			t.Errorf("search %q a page at a time: %v, want %v", tt.q, got, tt.want)
		}
		if got := f.refs(store.PayoutQuery{Search: payout.ParseSearch(tt.q), Statuses: every}); !slices.Equal(got, tt.want) {
			t.Errorf("search %q with every status: %v, want %v", tt.q, got, tt.want)
		}
	}
	// Test data's search finds test payouts only.
	if got := f.refs(store.PayoutQuery{Search: payout.ParseSearch("pp_F-5"), Test: true}); !slices.Equal(got, []string{"F-5"}) {
		t.Errorf("test data's search: %v, want F-5", got)
	}
	if got := f.refs(store.PayoutQuery{Search: payout.ParseSearch("F-3"), Test: true}); len(got) != 0 {
		t.Errorf("test data's search found a live payout: %v", got)
	}
}

// A walk through the list a page at a time, while payouts keep arriving,
// sees every payout that was there when it began exactly once.
func TestPayoutCursorWalkWhileInserting(t *testing.T) {
	s := pgtest.New(t)
	ctx := context.Background()
	add := func(ref string) {
		_, err := s.CreatePayout(ctx, "test", store.NewPayout{ReferenceID: ref, Provider: "sandbox", Status: payout.Queued,
			Amount: payout.Money{Minor: 100, Currency: "INR"}, Beneficiary: store.Beneficiary{Name: "A", AccountNumber: "1234"}})
		if err != nil {
			t.Error(err)
		}
	}
	before := map[string]bool{}
	for i := range 120 {
		ref := fmt.Sprintf("W-%03d", i)
		add(ref)
		before[ref] = true
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				add(fmt.Sprintf("NEW-%04d", i))
			}
		}
	})
	seen := map[string]int{}
	q := store.PayoutQuery{Limit: 7}
	for {
		page, err := s.FindPayouts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Payouts {
			seen[p.ReferenceID]++
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
		time.Sleep(2 * time.Millisecond) // let inserts land between pages
	}
	close(stop)
	wg.Wait()
	for ref := range before {
		if seen[ref] != 1 {
			t.Errorf("%s seen %d times", ref, seen[ref])
		}
	}
	for ref, n := range seen {
		if n > 1 {
			t.Errorf("%s seen %d times", ref, n)
		}
	}
}

func TestPayoutCursorRoundTrip(t *testing.T) {
	if _, err := store.ParseCursor("zzzzzzzzzzzz.1", store.SortAmount); err != nil {
		t.Errorf("a large amount key refused: %v", err)
	}
	c := store.PayoutCursor{Key: time.Now().UnixMicro(), ID: 42}
	got, err := store.ParseCursor(c.String(), store.SortCreated)
	if err != nil || got != c {
		t.Fatalf("ParseCursor(%q) = %v %v", c.String(), got, err)
	}
	for _, bad := range []string{"", "x", "1.", ".1", "1.0", "zz.-1", "1.2.3", "zzzzzzzzzzzz.1"} {
		if _, err := store.ParseCursor(bad, store.SortCreated); err == nil {
			t.Errorf("ParseCursor(%q) taken", bad)
		}
	}
}

// Above CountCap matches the count is the planner's estimate, marked so.
func TestCountPayoutsEstimatesAboveTheCap(t *testing.T) {
	s := pgtest.New(t)
	db := s.DB()
	db.MustExec(`INSERT INTO beneficiaries (name, account_number) VALUES ('Many', '000011112222')`)
	db.MustExec(`INSERT INTO payouts (reference_id, provider, beneficiary_id, amount_minor, currency, status)
		SELECT 'M-' || g, 'sandbox', (SELECT id FROM beneficiaries), 100, 'INR', 'QUEUED' FROM generate_series(1, $1) g`,
		store.CountCap+500)
	db.MustExec(`ANALYZE payouts`)
	n, exact, err := s.CountPayouts(context.Background(), store.PayoutQuery{Statuses: []payout.Status{payout.Queued}})
	if err != nil || exact || n <= store.CountCap {
		t.Fatalf("count = %d, exact %v (%v); want an estimate above %d", n, exact, err, store.CountCap)
	}
	n, exact, err = s.CountPayouts(context.Background(), store.PayoutQuery{Statuses: []payout.Status{payout.Failed}})
	if err != nil || !exact || n != 0 {
		t.Fatalf("count of none = %d, exact %v (%v)", n, exact, err)
	}
}

// A search's pages count every match, the same on every page.
func TestSearchPagesCountTheirMatches(t *testing.T) {
	f := newFindFixture(t)
	q := store.PayoutQuery{Search: payout.ParseSearch("7777"), Limit: 1}
	for page := 1; ; page++ {
		got, err := f.s.FindPayouts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if !got.TotalKnown || got.Total != 2 {
			t.Fatalf("page %d: total %d (known %v), want 2", page, got.Total, got.TotalKnown)
		}
		if got.Next == nil {
			break
		}
		q.After = got.Next
	}
	none, err := f.s.FindPayouts(context.Background(), store.PayoutQuery{Search: payout.ParseSearch("zz-none")})
	if err != nil || !none.TotalKnown || none.Total != 0 {
		t.Fatalf("no match: %+v %v", none, err)
	}
	refs, err := f.s.IdentifierRefs(context.Background(), "pp_F-4", 2, false)
	if err != nil || !slices.Equal(refs, []string{"F-4"}) {
		t.Fatalf("identifier refs: %v %v", refs, err)
	}
	if refs, _ := f.s.IdentifierRefs(context.Background(), "asha", 2, false); len(refs) != 0 {
		t.Fatalf("a name is no identifier: %v", refs)
	}
}

// The API's list reads the primary even with a read replica configured (a
// payout its 202 just answered for is in it); pages' lists read the replica.
func TestTheAPIsListReadsThePrimary(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	newPayout(t, s, "PRIMARY-1", payout.Processing)
	// A replica nobody answers at: whatever reads it fails.
	if err := s.UseReplica("postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=1"); err != nil {
		t.Fatal(err)
	}
	page, err := s.FindPayouts(ctx, store.PayoutQuery{Limit: 10, Primary: true, Test: false, Providers: []string{"sandbox"}})
	if err != nil || len(page.Payouts) != 1 {
		t.Fatalf("the primary's list: %+v %v", page.Payouts, err)
	}
	if _, err := s.FindPayouts(ctx, store.PayoutQuery{Limit: 10, Providers: []string{"sandbox"}}); err == nil {
		t.Error("a page's list did not read the replica")
	}
}
