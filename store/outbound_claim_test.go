package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"payops/store"
	"payops/store/pgtest"
)

// The claim stays a few index probes however many deliveries are pending
// when PostgreSQL's statistics last saw none (a backlog after an endpoint's
// outage, in a table of delivered history): it reads the due deliveries in
// order until its limit and asks the order index about each one's earlier
// events, rather than scanning every pending delivery for each
// (migration 00067; that plan took 56 s a claim with 20,000 pending).
func TestClaimWithABacklogStatisticsNeverSaw(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	ep := addEndpoint(t, s)
	seed := func(state string, from, n int) {
		t.Helper()
		if _, err := s.DB().Exec(`WITH ev AS (INSERT INTO outbound_events (type, payout_id, snapshot, data)
				SELECT 'payout.succeeded', g, NULL, '{}' FROM generate_series($1::int, $2::int) g RETURNING id, payout_id)
			INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id, state, next_attempt_at)
			SELECT id, $3, payout_id, $4, now() - interval '1 hour' + payout_id % 10000 * interval '1 ms' FROM ev`,
			from, from+n-1, ep.ID, state); err != nil {
			t.Fatal(err)
		}
	}
	seed("delivered", 1, 5000)
	if _, err := s.DB().Exec(`VACUUM ANALYZE outbound_deliveries`); err != nil {
		t.Fatal(err)
	}
	seed("pending", 100001, 3000)
	tx, err := s.DB().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var plan []string
	if err := tx.Select(&plan, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) `+store.ClaimSQL,
		time.Now(), 100, pq.Int64Array{}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback() // its rows locked
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Index Cond: ((endpoint_id = d.endpoint_id) AND (payout_id = d.payout_id)") ||
		strings.Contains(text, "Rows Removed by Join Filter") || strings.Contains(text, "Sort") {
		t.Errorf("the claim does not probe the order index, or reads every due delivery:\n%s", text)
	}
	claimed, err := s.ClaimDeliveries(ctx, time.Now(), 100, time.Minute, nil)
	if err != nil || len(claimed) != 100 {
		t.Fatalf("claimed %d (%v), want 100", len(claimed), err)
	}
}
