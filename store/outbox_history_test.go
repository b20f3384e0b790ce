package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

// The outbox's reads as history grows: a group's ledger read by its
// payouts' months (migration 00069), and its payouts found by id.

// A group's payouts can be of months far apart (an old payout's late
// webhook beside today's): outbox_payout_events reads the ledger of the
// months from the oldest to the newest of them, with every month's
// partition made in between, and each event still carries its own
// payout's ledger, as the API shows it.
func TestAGroupOfPayoutsOfMonthsApartWritesEachItsLedger(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	old := time.Now().UTC().AddDate(0, -5, 0)
	if _, err := s.MakePartitions(ctx, old, 6); err != nil {
		t.Fatal(err)
	}
	s.DB().MustExec(`WITH b AS (INSERT INTO beneficiaries (name, account_number, ifsc)
			VALUES ('Asha Rao', '123456789012', 'HDFC0001234') RETURNING id)
		INSERT INTO payouts (reference_id, provider, provider_payout_id, beneficiary_id, amount_minor, currency, status,
			submitted_at, created_at)
		SELECT 'M-OLD', 'sandbox', 'sbx_M-OLD', b.id, 99900, 'INR', 'PROCESSING', $1, $1 FROM b`, old)
	ps := map[string]store.Payout{"M-NEW": newPayout(t, s, "M-NEW", payout.Processing)}
	var err error
	if ps["M-OLD"], err = s.PayoutByRef(ctx, "M-OLD", store.First(true)); err != nil {
		t.Fatal(err)
	}
	addEndpoint(t, s)
	evs := []store.WebhookEvent{
		event("m-e1", "sbx_M-NEW", "M-NEW", payout.Succeeded, "UTRMNEW"),
		event("m-e2", "sbx_M-OLD", "M-OLD", payout.Succeeded, "UTRMOLD"),
	}
	_, errs := s.IngestGroup(ctx, nil, []store.Delivery{delivery(), delivery()}, evs)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for ref, p := range ps {
		want[ref] = apiJSON(t, s, p)
	}
	claimed, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Second), 10, time.Minute, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d deliveries (%v), want 2", len(claimed), err)
	}
	for _, c := range claimed {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		var p struct {
			Ref string `json:"reference_id"`
		}
		if err := json.Unmarshal([]byte(c.Body), &env); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(env.Data, &p); err != nil {
			t.Fatal(err)
		}
		if got := string(env.Data); got != want[p.Ref] {
			t.Errorf("%s's event is not its payout as the API shows it:\n got %s\nwant %s", p.Ref, got, want[p.Ref])
		}
	}
}

// The outbox finds a group's payouts by id, however many payouts there are:
// outbox_payout_events once took min() of their creation times from the end
// of the creation-time index, reading every older payout until one of the
// group's (migration 00069). Groups of four as BenchmarkIngestGroup takes
// them (where the plan was seen: its payouts and groups), after warm-up
// and ANALYZE; the index's reads counted by PostgreSQL's statistics,
// flushed as the sessions end.
func TestOutboxReadsNoPayoutsByCreationTime(t *testing.T) {
	dsn := pgtest.NewDSN(t)
	s, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addEndpoint(t, s)
	const groups, size = 520, 4
	inFlightPayouts(t, s, groups*size)
	group := successGroups(t, s, size)
	for range groups - 20 {
		group()
	}
	s.DB().MustExec(`ANALYZE`)
	var before int64
	s.DB().MustExec(`SELECT pg_stat_force_next_flush()`)
	if err := s.DB().Get(&before, `SELECT idx_tup_read FROM pg_stat_user_indexes
		WHERE indexrelname = 'payouts_created'`); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		group()
	}
	s.Close() // its sessions' statistics are flushed as they end
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var after int64
	for range 50 { // an ending session's flush is seen a moment later
		if err := db.Get(&after, `SELECT idx_tup_read FROM pg_stat_user_indexes
			WHERE indexrelname = 'payouts_created'`); err != nil {
			t.Fatal(err)
		}
		if after > before {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after-before > 0 {
		t.Errorf("twenty groups of four read %d entries of the payouts' creation-time index, want none", after-before)
	}
}
