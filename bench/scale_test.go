package main

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"

	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
)

func TestParseScale(t *testing.T) {
	tests := []struct {
		in   string
		want int
		bad  bool
	}{
		{"", 0, false}, {"10m", 10_000_000, false}, {"2M", 2_000_000, false}, {"500k", 500_000, false},
		{"250000", 250_000, false}, {"10", 0, true}, {"m", 0, true}, {"-1m", 0, true}, {"1.5m", 0, true},
	}
	for _, tt := range tests {
		got, err := parseScale(tt.in)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("parseScale(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

// Benchmark 8's figures stand for a database as the migrations make it only
// while the seed leaves the same indexes (on every month), no row in a
// default partition, one stuck payout in a hundred, a balanced ledger, and
// identifiers that find their one payout.
func TestScaleSeed(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	sh := newScaleShape(20_000, 1_000_000)
	before := indexCounts(t, s)
	seeded, err := seedScale(ctx, s, sh)
	if err != nil {
		t.Fatal(err)
	}
	var history int64
	if err := s.DB().Get(&history, `SELECT (SELECT count(*) FROM ledger_postings) + (SELECT count(*) FROM ledger_entries)
		+ (SELECT count(*) FROM webhook_deliveries) + (SELECT count(*) FROM webhook_events)
		+ (SELECT count(*) FROM payout_events) + (SELECT count(*) FROM audit_log)`); err != nil || seeded.history != history {
		t.Errorf("the seed says %d rows of history, the tables hold %d (%v)", seeded.history, history, err)
	}
	after := indexCounts(t, s)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s has %d indexes after the seed, %d before", table, after[table], n)
		}
	}
	var parts int
	if err := s.DB().Get(&parts, `SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass AND c.relname <> 'audit_log_default'
			AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND pg_get_indexdef(x.indexrelid) LIKE '%(at)')`,
	); err != nil || parts > 0 {
		t.Errorf("%d months of audit_log without their index on at (%v)", parts, err)
	}
	var withOptions int
	if err := s.DB().Get(&withOptions, `SELECT count(*) FROM pg_class WHERE relkind = 'r' AND reloptions IS NOT NULL
		AND relname NOT IN ('payout_count_deltas', 'payout_deltas')`); err != nil || withOptions > 0 {
		t.Errorf("%d tables left with storage options (autovacuum) (%v)", withOptions, err)
	}
	var payouts int
	if err := s.DB().Get(&payouts, `SELECT count(*) FROM payouts`); err != nil || payouts != sh.n {
		t.Errorf("%d payouts, want %d (%v)", payouts, sh.n, err)
	}
	_, total, err := s.StuckPayouts(ctx, store.StuckFilter{Before: time.Now().Add(-stuckAfter), Limit: 50})
	if err != nil || total.All != sh.stuck() || total.All != sh.n/100 {
		t.Errorf("%d stuck payouts, want %d, 1%% of %d (%v)", total.All, sh.stuck(), sh.n, err)
	}
	var unbalanced, empty int
	if err := s.DB().Get(&unbalanced, `SELECT count(*) FROM (SELECT posting_id FROM ledger_entries GROUP BY posting_id
		HAVING sum(CASE direction WHEN 'debit' THEN amount_minor ELSE -amount_minor END) <> 0) u`); err != nil || unbalanced > 0 {
		t.Errorf("%d postings do not balance (%v)", unbalanced, err)
	}
	if err := s.DB().Get(&empty, `SELECT count(*) FROM ledger_postings l
		WHERE NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.posting_id = l.id)`); err != nil || empty > 0 {
		t.Errorf("%d postings without entries (%v)", empty, err)
	}
	ps, err := probes(ctx, s.DB(), sh.n)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"ref", "ppid", "utr", "event", "rzp"} {
		for _, p := range ps[key][:min(50, len(ps[key]))] {
			page, err := s.FindPayouts(ctx, store.PayoutQuery{Search: payout.Search{Text: p.text}, Limit: 2})
			if err != nil || len(page.Payouts) != 1 || page.Payouts[0].ReferenceID != p.ref {
				t.Errorf("%s %q: %d payouts (%v), want only %s", key, p.text, len(page.Payouts), err, p.ref)
			}
		}
	}
}

// indexCounts counts the indexes of each loaded table and of each of its
// partitions.
func indexCounts(t *testing.T, s *store.Store) map[string]int {
	t.Helper()
	rows, err := s.DB().Query(`SELECT c.relname, count(x.indexrelid) FROM pg_class c
		LEFT JOIN pg_index x ON x.indrelid = c.oid
		WHERE c.oid = ANY($1::regclass[]) OR EXISTS (SELECT 1 FROM pg_inherits i
			WHERE i.inhrelid = c.oid AND i.inhparent = ANY($1::regclass[]))
		GROUP BY 1`, pq.StringArray(scaleTables))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}
