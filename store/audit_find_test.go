package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// auditFixture is the store with entries of every kind, at known times:
// entry n (1-based) is the n-th inserted, so its id is the n-th smallest.
type auditFixture struct {
	t   *testing.T
	s   *store.Store
	day time.Time // midnight UTC three days ago: entries lie on this day and the three after
	ids []int64   // ids[n-1] is entry n's id
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	f := &auditFixture{t: t, s: pgtest.New(t), day: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -3)}
	for _, e := range []struct {
		actor, action, entityType, entityID, details string
		day                                          int
	}{
		{"alice@example.com", "payout.create", "payout", "P-1", `{"amount": "12.50"}`, 0},
		{"sandbox", "payout.observe", "payout", "P-1", `{"to": "SUCCEEDED"}`, 0},
		{"alicia", "hold.place", "payout", "P-2", `{"hold": 7, "reason": "review_threshold"}`, 1},
		{"bob@example.com", "hold.release", "payout", "P-2", `{"hold": 7, "note": "checked"}`, 1},
		{"finance", "recon.sign_off", "recon", "sandbox/2026-01-02", `{"run": 5, "version": 1}`, 2},
		{"cli", "user.create", "user", "3", `{"email": "ops@example.com"}`, 2},
		{"cli", "token.create", "api_token", "4", `{"name": "platform"}`, 3},
		{"admin", "hold_reason.update", "hold_reason", "beneficiary", `{"sla_minutes": 60}`, 3},
		{"admin", "drill.start", "drill", "9", `{"scenario": "all-of-them"}`, 3},
		{"100%_ops", "user.login", "user", "3", `{"ip": "10.0.0.1"}`, 1},
	} {
		var id int64
		err := f.s.DB().Get(&id, `INSERT INTO audit_log (at, actor, action, entity_type, entity_id, details)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			f.day.AddDate(0, 0, e.day).Add(10*time.Hour), e.actor, e.action, e.entityType, e.entityID, e.details)
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, id)
	}
	return f
}

// entries returns the entry numbers q finds, newest first, on one page.
func (f *auditFixture) entries(q store.AuditQuery) []int {
	f.t.Helper()
	page, err := f.s.FindAudit(context.Background(), q)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []int
	for _, e := range page.Entries {
		out = append(out, slices.Index(f.ids, e.ID)+1)
	}
	return out
}

func TestFindAuditFilters(t *testing.T) {
	f := newAuditFixture(t)
	f.s.DB().MustExec(`INSERT INTO users (email, name, role, password_hash)
		VALUES ('bob@example.com', 'Bob Builder', 'ops', 'x'), ('carol@example.com', 'Alice Carol', 'ops', 'x')`)
	day := func(n int) time.Time { return f.day.AddDate(0, 0, n) }
	tests := []struct {
		name string
		q    store.AuditQuery
		want []int
	}{
		{"everything, newest first", store.AuditQuery{}, []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"actor prefix", store.AuditQuery{Actor: "ali"}, []int{3, 1}},
		{"actor, whole and in capitals", store.AuditQuery{Actor: "ALICE@EXAMPLE.COM"}, []int{1}},
		{"actor prefix is not a substring", store.AuditQuery{Actor: "example"}, nil},
		{"a user's name finds their entries", store.AuditQuery{Actor: "Bob Bu"}, []int{4}},
		{"the start of a user's name, in capitals", store.AuditQuery{Actor: "BOB"}, []int{4}},
		{"actor with LIKE's percent", store.AuditQuery{Actor: "100%"}, []int{10}},
		{"actor with LIKE's underscore", store.AuditQuery{Actor: "1_0"}, nil},
		{"action", store.AuditQuery{Action: "hold.place"}, []int{3}},
		{"action is exact", store.AuditQuery{Action: "hold"}, nil},
		{"payouts, their holds included", store.AuditQuery{Kind: store.AuditPayout}, []int{4, 3, 2, 1}},
		{"holds", store.AuditQuery{Kind: store.AuditHold}, []int{4, 3}},
		{"reconciliation days", store.AuditQuery{Kind: store.AuditRecon}, []int{5}},
		{"users", store.AuditQuery{Kind: store.AuditUser}, []int{10, 6}},
		{"tokens", store.AuditQuery{Kind: store.AuditToken}, []int{7}},
		{"hold reasons", store.AuditQuery{Kind: store.AuditHoldReason}, []int{8}},
		{"drills", store.AuditQuery{Kind: store.AuditDrill}, []int{9}},
		{"one payout", store.AuditQuery{Kind: store.AuditPayout, EntityID: "P-2"}, []int{4, 3}},
		{"one payout's holds", store.AuditQuery{Kind: store.AuditHold, EntityID: "P-2"}, []int{4, 3}},
		{"a payout without holds", store.AuditQuery{Kind: store.AuditHold, EntityID: "P-1"}, nil},
		{"an id of any kind", store.AuditQuery{EntityID: "3"}, []int{10, 6}},
		{"a day by its id", store.AuditQuery{EntityID: "sandbox/2026-01-02"}, []int{5}},
		{"an id of another kind", store.AuditQuery{Kind: store.AuditToken, EntityID: "3"}, nil},
		{"from a day", store.AuditQuery{From: day(2)}, []int{9, 8, 7, 6, 5}},
		{"to a day, not including it", store.AuditQuery{To: day(1)}, []int{2, 1}},
		{"one day", store.AuditQuery{From: day(1), To: day(2)}, []int{10, 4, 3}},
		{"an actor's kind on a day", store.AuditQuery{Actor: "admin", Kind: store.AuditDrill, From: day(3)}, []int{9}},
		{"everything at once", store.AuditQuery{Actor: "B", Action: "hold.release", Kind: store.AuditHold, EntityID: "P-2",
			From: day(1), To: day(2)}, []int{4}},
		{"older than an entry", store.AuditQuery{Before: f.ids[3]}, []int{3, 2, 1}},
		{"older, filtered", store.AuditQuery{Kind: store.AuditUser, Before: f.ids[9]}, []int{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.entries(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("got entries %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindAuditPagesByID(t *testing.T) {
	s := pgtest.New(t)
	ctx := context.Background()
	for i := range 250 {
		if err := s.Audit(ctx, "cli", "user.login", "user", fmt.Sprint(i%3), map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	walk := func(q store.AuditQuery) (sizes []int, ids []int64) {
		t.Helper()
		for {
			page, err := s.FindAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page.Entries))
			for _, e := range page.Entries {
				ids = append(ids, e.ID)
			}
			if page.Next == 0 {
				return sizes, ids
			}
			if last := page.Entries[len(page.Entries)-1].ID; page.Next != last {
				t.Fatalf("next page after %d, the page ends at %d", page.Next, last)
			}
			q.Before = page.Next
			// What is added while someone pages moves no entry between pages.
			if err := s.Audit(ctx, "cli", "user.login", "user", "0", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	sizes, ids := walk(store.AuditQuery{})
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("page sizes %v, want 100, 100, 50", sizes)
	}
	newestFirst := slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) })
	if !newestFirst || len(slices.Compact(slices.Clone(ids))) != 250 {
		t.Errorf("pages are not 250 entries newest first, each once: %d entries", len(ids))
	}
	sizes, ids = walk(store.AuditQuery{EntityID: "1", Kind: store.AuditUser, Limit: 30})
	if !slices.Equal(sizes, []int{30, 30, 23}) || len(ids) != 83 {
		t.Errorf("filtered page sizes %v, want 30, 30, 23", sizes)
	}
	// A page that ends exactly at the last entry has no next page.
	q := store.AuditQuery{Before: ids[len(ids)-3], Kind: store.AuditUser, EntityID: "1", Limit: 2}
	page, err := s.FindAudit(ctx, q)
	if err != nil || len(page.Entries) != 2 || page.Next != 0 {
		t.Errorf("last full page: %d entries, next %d, %v", len(page.Entries), page.Next, err)
	}
}

func TestEachAudit(t *testing.T) {
	f := newAuditFixture(t)
	ctx := context.Background()
	var got []int64
	err := f.s.EachAudit(ctx, store.AuditQuery{Kind: store.AuditPayout}, func(e store.AuditEntry) error {
		got = append(got, e.ID)
		return nil
	})
	if want := []int64{f.ids[3], f.ids[2], f.ids[1], f.ids[0]}; err != nil || !slices.Equal(got, want) {
		t.Errorf("each payout entry: %v %v, want %v", got, err, want)
	}
	stop := errors.New("stop")
	n := 0
	err = f.s.EachAudit(ctx, store.AuditQuery{}, func(store.AuditEntry) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("fn's error: %v after %d entries, want stop after 3", err, n)
	}
	n = 0
	err = f.s.EachAudit(ctx, store.AuditQuery{Limit: 4}, func(store.AuditEntry) error { n++; return nil })
	if err != nil || n != 4 {
		t.Errorf("capped at 4: %d entries, %v", n, err)
	}
}

func TestAuditActions(t *testing.T) {
	f := newAuditFixture(t)
	got, err := f.s.AuditActions(context.Background())
	want := []string{"drill.start", "hold.place", "hold.release", "hold_reason.update", "payout.create", "payout.observe",
		"recon.sign_off", "token.create", "user.create", "user.login"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("actions %v %v, want %v", got, err, want)
	}
	empty, err := pgtest.New(t).AuditActions(context.Background())
	if err != nil || len(empty) != 0 {
		t.Errorf("actions of an empty log: %v %v", empty, err)
	}
}
