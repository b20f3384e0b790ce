package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"payops/store"
	"payops/store/pgtest"
)

// scaleShape is benchmark 8's one database of n payouts, by id g:
//
//   - 1..region: benchmark 1's sandbox payouts (seed.go's kinds: 30% in
//     flight, g % 10 in 1..3; SUCCEEDED g % 10 in 4..8; FAILED, REVERSED),
//     changed in the last two days, for webhook ingestion;
//   - region+1..n-day: a year of four providers' payouts as bench/findseed.go
//     makes half a year of them, created evenly over the last 365 days in id
//     order, every identifier the search box takes;
//   - n-day+1..n: pgtest.NewBigDay's day of day SUCCEEDED sandbox payouts,
//     reconciled by benchmark 8;
//   - every stride-th payout of 1..n-day is stuck (PROCESSING, last change
//     15 minutes to 47 hours ago): 1% of n, as benchmark 2's are of a million.
type scaleShape struct {
	n, day, region, stride int
}

func newScaleShape(n, day int) scaleShape {
	s := scaleShape{n: n, day: min(day, n/10)}
	m := n - s.day
	s.region = min(200_000, m/10) / 10 * 10
	// A multiple of 10, so no stuck payout is one of the region's in-flight
	// or settled ones.
	s.stride = max(10, m/max(n/100, 1)/10*10)
	return s
}

// seeded is how many payouts the seed makes itself, before the day.
func (s scaleShape) seeded() int { return s.n - s.day }

func (s scaleShape) stuck() int { return s.seeded() / s.stride }

// inFlight is how many of the region's payouts are in flight: inFlightG(i)
// for i below it.
func (s scaleShape) inFlight() int { return s.region / 10 * 3 }

// beneficiaries is n/5, as benchmark 6 has.
func (s scaleShape) beneficiaries() int { return max(s.n/5, 1) }

// seedStep is one statement of the seed; what names it in the progress
// lines ("" for none).
type seedStep struct {
	what, sql string
	args      []any
}

// scaleSeed is what seedScale did, for the report.
type scaleSeed struct {
	took    time.Duration
	steps   []string // "what duration", in order
	history int64    // rows of history, from the statistics
	day     pgtest.BigDay
}

// seedScale fills st's fresh database with s: months made for a year back,
// the secondary indexes dropped, payouts and the day loaded, the history of
// every payout, the indexes made again as the migrations made them, counts,
// statistics and the visibility map, and last the in-flight payouts (so
// their last change is a minute old when the measurements begin).
func seedScale(ctx context.Context, st *store.Store, s scaleShape) (scaleSeed, error) {
	var out scaleSeed
	began, t := time.Now(), time.Now()
	lap := func(what string, since time.Time) {
		d := time.Since(since).Round(100 * time.Millisecond)
		out.steps = append(out.steps, fmt.Sprintf("%s %s", what, d))
		say("  %s: %s", what, d)
	}
	// The months of the year back, made first so autovacuum is kept off
	// them too: it would vacuum each table while the others load, on
	// the same two cores, and the seed vacuums every table at its end.
	from := time.Now().AddDate(-1, 0, -1)
	if err := makeMonths(ctx, st, from); err != nil {
		return out, err
	}
	if err := autovacuum(ctx, st.DB(), false); err != nil {
		return out, err
	}
	defer autovacuum(context.WithoutCancel(ctx), st.DB(), true)
	lap("partitions", t)
	t = time.Now()
	indexes, err := secondaryIndexes(ctx, st.DB(), scaleTables)
	if err != nil {
		return out, err
	}
	var drops []seedStep
	for _, ix := range indexes {
		drops = append(drops, seedStep{sql: `DROP INDEX ` + ix.name})
	}
	if err := runLanes(ctx, st.DB(), [][]seedStep{drops}, &out); err != nil {
		return out, err
	}
	lap(fmt.Sprintf("%d secondary indexes dropped", len(indexes)), t)

	m := s.seeded()
	if err := runLanes(ctx, st.DB(), [][]seedStep{
		{{what: "beneficiaries", sql: findBeneficiariesSQL, args: []any{s.n}},
			{sql: `SELECT setval('beneficiaries_id_seq', $1::int)`, args: []any{s.beneficiaries()}}},
		{{what: "payouts, region", sql: scaleRegionSQL, args: []any{s.region, s.stride, s.beneficiaries(), false}},
			{what: "payouts, the year", sql: scaleYearSQL, args: []any{m, s.region, s.stride, s.beneficiaries()}},
			{sql: `SELECT setval('payouts_id_seq', $1::int)`, args: []any{m}}},
	}, &out); err != nil {
		return out, err
	}
	t = time.Now()
	if out.day, err = pgtest.NewBigDay(ctx, st.DB(), s.day); err != nil {
		return out, err
	}
	lap(fmt.Sprintf("the day (%s payouts and their records)", thousands(s.day)), t)
	// The day's month too, before the history: a row in a table's default
	// partition would forbid making its month later.
	if out.day.Day.Before(from) {
		if err := makeMonths(ctx, st, out.day.Day); err != nil {
			return out, err
		}
	}

	// History, in two lanes of about equal work (the machine has 2 cores).
	if err := runLanes(ctx, st.DB(), [][]seedStep{
		{{what: "ledger postings", sql: scalePostingsSQL},
			{sql: `SELECT setval('ledger_postings_id_seq', $1::bigint)`, args: []any{int64(s.n)*4 + 4}},
			{what: "ledger entries", sql: scaleEntriesSQL},
			{what: "payout events", sql: scaleEventsSQL}},
		{{what: "webhook deliveries and events", sql: findWebhooksSQL},
			{what: "webhooks delivered twice", sql: findTwiceSQL},
			{what: "audit log", sql: scaleAuditSQL}},
	}, &out); err != nil {
		return out, err
	}
	t = time.Now()
	var lanes [2][]seedStep
	for i, ix := range indexes {
		// Made on the whole table, a partitioned table's index is made on
		// every month too (pg_get_indexdef names ON ONLY the parent).
		def := strings.Replace(ix.def, " ON ONLY ", " ON ", 1)
		lanes[i%2] = append(lanes[i%2], seedStep{sql: def})
	}
	if err := runLanes(ctx, st.DB(), lanes[:], &out); err != nil {
		return out, err
	}
	lap(fmt.Sprintf("%d indexes made again", len(indexes)), t)
	// The counts /metrics reads, as the insert trigger (off during the
	// load) would have counted the seeded payouts; the day's were.
	if err := runLanes(ctx, st.DB(), [][]seedStep{{{what: "payout counts", sql: `INSERT INTO payout_deltas
		(status, provider, n, bucket, currency, minor) SELECT status, provider, count(*),
			date_bin('15 minutes', created_at, 'epoch'), currency, sum(amount_minor)
		FROM payouts WHERE id <= $1 AND livemode GROUP BY 1, 2, 4, 5`,
		args: []any{m}}}}, &out); err != nil {
		return out, err
	}
	if err := vacuumAll(ctx, st.DB(), &out); err != nil {
		return out, err
	}
	if err := runLanes(ctx, st.DB(), [][]seedStep{{
		{what: "in-flight payouts", sql: scaleRegionSQL, args: []any{s.region, s.stride, s.beneficiaries(), true}},
		{what: "vacuum payouts", sql: `VACUUM ANALYZE payouts`}}}, &out); err != nil {
		return out, err
	}
	if err := foldCounts(ctx, st); err != nil {
		return out, err
	}
	if err := checkDefaults(ctx, st.DB()); err != nil {
		return out, err
	}
	// Exact, as VACUUM has just counted every page.
	err = st.DB().GetContext(ctx, &out.history, `SELECT sum(c.reltuples)::bigint FROM pg_class c
		WHERE c.relkind = 'r' AND c.reltuples > 0 AND (c.oid = ANY($1::regclass[]) OR EXISTS (SELECT 1 FROM pg_inherits i
			WHERE i.inhrelid = c.oid AND i.inhparent = ANY($1::regclass[])))`, pq.StringArray(historyTables))
	if err != nil {
		return out, err
	}
	out.took = time.Since(began)
	return out, nil
}

// makeMonths makes every history table's months from from's to now's.
func makeMonths(ctx context.Context, st *store.Store, from time.Time) error {
	months := 0
	for m := from; m.Before(time.Now()); m = m.AddDate(0, 1, 0) {
		months++
	}
	_, err := st.MakePartitions(ctx, from, months)
	return err
}

// autovacuum turns autovacuum off or (back) on for the loaded tables and
// their partitions.
func autovacuum(ctx context.Context, db *sqlx.DB, on bool) error {
	var rels []string
	err := db.SelectContext(ctx, &rels, `SELECT c.oid::regclass::text FROM pg_class c
		WHERE c.relkind = 'r' AND (c.oid = ANY($1::regclass[]) OR EXISTS (SELECT 1 FROM pg_inherits i
			WHERE i.inhrelid = c.oid AND i.inhparent = ANY($1::regclass[])))`, pq.StringArray(scaleTables))
	if err != nil {
		return fmt.Errorf("seed: autovacuum: %w", err)
	}
	for _, rel := range rels {
		set := `ALTER TABLE ` + rel + ` SET (autovacuum_enabled = false)`
		if on {
			set = `ALTER TABLE ` + rel + ` RESET (autovacuum_enabled)`
		}
		if _, err := db.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("seed: autovacuum: %w", err)
		}
	}
	return nil
}

// historyTables are the loaded tables that hold the payouts' history.
var historyTables = []string{"ledger_postings", "ledger_entries", "webhook_deliveries", "webhook_events", "payout_events",
	"audit_log"}

// scaleTables are the tables seedScale loads.
var scaleTables = []string{"payouts", "beneficiaries", "ledger_postings", "ledger_entries", "webhook_deliveries",
	"webhook_events", "payout_events", "audit_log"}

type index struct{ name, def string }

// secondaryIndexes are tables' indexes that back no constraint.
func secondaryIndexes(ctx context.Context, db *sqlx.DB, tables []string) ([]index, error) {
	rows, err := db.QueryContext(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i WHERE i.indrelid = ANY($1::regclass[])
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`, pq.StringArray(tables))
	if err != nil {
		return nil, fmt.Errorf("seed: indexes: %w", err)
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}

// runLanes runs each lane's steps in order on a connection of its own,
// the lanes side by side, with triggers off (the foreign keys hold by
// construction; settled_at is written as its trigger would) and memory for
// the joins, sorts and index builds of a bulk load.
func runLanes(ctx context.Context, db *sqlx.DB, lanes [][]seedStep, out *scaleSeed) error {
	var mu sync.Mutex
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, lane := range lanes {
		wg.Go(func() {
			errs[i] = runLane(ctx, db, lane, func(what string, d time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				d = d.Round(100 * time.Millisecond)
				out.steps = append(out.steps, fmt.Sprintf("%s %s", what, d))
				say("  %s: %s", what, d)
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func runLane(ctx context.Context, db *sqlx.DB, lane []seedStep, done func(string, time.Duration)) error {
	conn, err := db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The connection goes back to the pool: with the settings of others.
	defer conn.ExecContext(context.WithoutCancel(ctx), `RESET ALL`)
	for _, set := range []string{`SET session_replication_role = replica`, `SET work_mem = '256MB'`,
		`SET maintenance_work_mem = '1GB'`} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	for _, st := range lane {
		began := time.Now()
		if _, err := conn.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("seed %s: %w", cmp.Or(st.what, st.sql), err)
		}
		if st.what != "" {
			done(st.what, time.Since(began))
		}
	}
	return nil
}

// vacuumAll vacuums and analyzes the loaded tables, two at a time, then
// again those whose visibility map is not all set (after one VACUUM, an
// index-only scan was seen visiting the heap on the million seed).
func vacuumAll(ctx context.Context, db *sqlx.DB, out *scaleSeed) error {
	t := time.Now()
	var lanes [2][]seedStep
	for i, table := range scaleTables {
		lanes[i%2] = append(lanes[i%2], seedStep{sql: `VACUUM ANALYZE ` + table})
	}
	if err := runLanes(ctx, db, lanes[:], out); err != nil {
		return err
	}
	say("  vacuum analyze: %s", time.Since(t).Round(100*time.Millisecond))
	out.steps = append(out.steps, fmt.Sprintf("vacuum analyze %s", time.Since(t).Round(100*time.Millisecond)))
	t = time.Now()
	again, err := pgtest.VacuumUntilAllVisible(ctx, db, scaleTables...)
	if err != nil || len(again) == 0 {
		return err
	}
	d := time.Since(t).Round(100 * time.Millisecond)
	say("  vacuum again (%d tables not all-visible: %s): %s", len(again), strings.Join(again[:min(4, len(again))], ", "), d)
	out.steps = append(out.steps, fmt.Sprintf("vacuum again of %d tables %s", len(again), d))
	return nil
}

// checkDefaults fails when a history row fell in a default partition: a
// month was missing.
func checkDefaults(ctx context.Context, db *sqlx.DB) error {
	for _, t := range store.HistoryTables {
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM `+pq.QuoteIdentifier(t.Name+"_default")); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("seed: %d rows of %s in its default partition", n, t.Name)
		}
	}
	return nil
}
