package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"payops/store"
	"payops/store/pgtest"
)

// parseScale reads -scale: a count of payouts, with k or m for thousands
// or millions ("10m", "2m", "500k"); "" is 0, no scale step.
func parseScale(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	mult := 1
	switch {
	case strings.HasSuffix(strings.ToLower(s), "m"):
		mult, s = 1_000_000, s[:len(s)-1]
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1_000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n*mult < 100_000 {
		return 0, fmt.Errorf("-scale %q: want a count of payouts of 100k or more, such as 10m", s)
	}
	return n * mult, nil
}

// scaleResult is benchmark 8's measure.
type scaleResult struct {
	seed                scaleSeed
	stuck               int
	page, bare, alone   window
	find                findResult
	recon               reconResult
	ingest              window
	ingestMix           string
	dbSize              int64
	tables              []tableSize
	warm, dur           time.Duration
	findWarm, findDur   time.Duration
	probesOf            map[string]int
	sentNew, inFlightOf int
}

// benchScale is benchmark 8: one database of c.scale payouts with a year of
// their history, seeded once, and on it the stuck-payouts page, the
// searches and lists of benchmark 6, reconciliation of a day of a million
// payouts among the others, and webhook ingestion at 8 concurrent; and the
// database's size.
func benchScale(ctx context.Context, c config, cl *cluster, r *report) error {
	const name = "bench_scale"
	sh := newScaleShape(c.scale, c.payouts)
	st, err := cl.freshDB(ctx, name)
	if err != nil {
		return err
	}
	defer cl.done(ctx, name)
	defer st.Close()
	res := scaleResult{warm: c.warmup, dur: c.duration, stuck: sh.stuck()}
	say("benchmark 8: seeding %s payouts with a year of history", thousands(sh.n))
	if res.seed, err = seedScale(ctx, st, sh); err != nil {
		return err
	}
	say("benchmark 8: seeded in %s", res.seed.took.Round(time.Second))
	if res.dbSize, res.tables, err = sizes(ctx, st); err != nil {
		return err
	}
	if err := scalePages(ctx, c, cl, name, st, &res); err != nil {
		return err
	}
	say("benchmark 8: reconciling the day of %s payouts among %s", thousands(sh.day), thousands(sh.n))
	if res.recon, err = reconcileDay(ctx, st, res.seed.day, func(ctx context.Context) error {
		return dayJoin(ctx, st, res.seed.day)
	}); err != nil {
		return err
	}
	if err := scaleIngest(ctx, c, cl.dsn(name), st, sh, &res); err != nil {
		return err
	}
	scaleReport(r, c, sh, res)
	return nil
}

// scalePages measures the stuck-payouts page as benchmark 2 does, then
// benchmark 6's searches and lists, on one serve.
func scalePages(ctx context.Context, c config, cl *cluster, name string, st *store.Store, res *scaleResult) error {
	ps, err := probes(ctx, st.DB(), c.scale)
	if err != nil {
		return err
	}
	p, client, err := findServe(ctx, c, cl.dsn(name), "scale", pageConc)
	if err != nil {
		return err
	}
	defer p.stop()
	url := p.base + "/payouts/stuck"
	if err := checkStuckPage(client, url, res.stuck); err != nil {
		return err
	}
	say("benchmark 8: GET /payouts/stuck, %d concurrent, %s", pageConc, c.warmup+c.duration)
	running, done := p.watch(ctx)
	var failed int
	res.page, failed = getPages(running, client, url, pageConc, c.warmup, c.duration)
	if err := done(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d stuck pages were not answered 200", failed)
	}
	say("benchmark 8: the stuck page's SQL, %d concurrent, then one at a time", pageConc)
	bare, f8 := bareStuckQuery(ctx, st, pageConc, c.warmup, c.duration)
	alone, f1 := bareStuckQuery(ctx, st, 1, c.warmup, c.duration/4)
	if f8+f1 > 0 {
		return fmt.Errorf("the stuck payouts query failed %d times", f8+f1)
	}
	res.bare, res.alone = bare, alone

	f := findResult{warm: c.warmup / 3, dur: c.duration / 4, with: map[string]window{}, cpu: map[string]cpuUse{},
		values: map[string]int{}}
	if f.found, err = checkSearches(client, p.base, ps); err != nil {
		return err
	}
	targets := map[string]pageTarget{"list": listTarget(p.base), "updated": byUpdatedTarget(p.base)}
	for _, k := range findKinds {
		targets[k.key] = searchTarget(p.base, ps[k.key])
		f.values[k.key] = len(ps[k.key])
	}
	running, done = p.watch(ctx)
	err = f.measure(running, cl.pg.Dir, p, client, targets, measuredKeys())
	if err := done(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	res.find = f
	return nil
}

// dayJoin is the bare FULL OUTER JOIN of the day's payouts, found among
// the others as store.Reconcile finds them (provider, live, sent in the
// day), with the day's records loaded by NewBigDay.
func dayJoin(ctx context.Context, st *store.Store, day pgtest.BigDay) error {
	var n int
	return st.DB().GetContext(ctx, &n, `SELECT count(*) FROM (SELECT * FROM payouts WHERE provider = 'sandbox' AND livemode
			AND submitted_at >= $1 AND submitted_at < $2) p
		FULL OUTER JOIN bigday_records t ON t.provider_payout_id = p.provider_payout_id`, day.Day, day.Day.Add(24*time.Hour))
}

// scaleIngest is benchmark 1's load at 8 concurrent on the region's
// in-flight and settled payouts.
func scaleIngest(ctx context.Context, c config, dsn string, st *store.Store, sh scaleShape, res *scaleResult) error {
	p, err := serve(ctx, c.bin, dsn, filepath.Join(c.work, "serve-scale-webhooks.log"),
		map[string]string{"PAYOPS_JOBS": "off", "PAYOPS_SANDBOX_BASE_URL": "http://127.0.0.1:9",
			"PAYOPS_SANDBOX_WEBHOOK_SECRET": benchWebhookSecret})
	if err != nil {
		return err
	}
	defer p.stop()
	const level = 8
	ev := newEvents(benchWebhookSecret, sh.region, 0, sh.inFlight())
	say("benchmark 8: webhooks, %d concurrent, %s", level, c.warmup+c.duration)
	running, done := p.watch(ctx)
	w, failed, err := postWebhooks(running, p.base+"/webhooks/sandbox", ev, level, c.warmup, c.duration)
	if err := done(); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d webhooks were not answered 200; see %s", failed, filepath.Join(c.work, "serve-scale-webhooks.log"))
	}
	sent := min(int(ev.next.Load()), sh.inFlight())
	if got, err := settledIn(ctx, st, 0, sh.inFlight()); err != nil || got != sent {
		return fmt.Errorf("%d payouts settled with their posting, want %d (%v)", got, sent, err)
	}
	res.ingest, res.sentNew, res.inFlightOf = w, sent, sh.inFlight()
	res.ingestMix = shares(w, store.OutcomeApplied, store.OutcomeDuplicate, store.OutcomeStale)
	return nil
}

// tableSize is a table's size with its partitions, TOAST and indexes.
type tableSize struct {
	Name    string `db:"name"`
	Table   int64  `db:"table_bytes"`
	Indexes int64  `db:"index_bytes"`
	Rows    int64  `db:"rows"`
	Parts   int    `db:"parts"`
}

// sizes returns the database's size and its eight biggest tables.
func sizes(ctx context.Context, st *store.Store) (int64, []tableSize, error) {
	var db int64
	if err := st.DB().GetContext(ctx, &db, `SELECT pg_database_size(current_database())`); err != nil {
		return 0, nil, err
	}
	var tables []tableSize
	err := st.DB().SelectContext(ctx, &tables, `SELECT c.relname AS name,
			sum(pg_table_size(t.relid))::bigint AS table_bytes, sum(pg_indexes_size(t.relid))::bigint AS index_bytes,
			coalesce(sum(k.reltuples) FILTER (WHERE k.relkind = 'r' AND k.reltuples > 0), 0)::bigint AS rows, count(*) FILTER (WHERE t.level > 0) AS parts
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL (SELECT c.oid AS relid, 0 AS level WHERE c.relkind = 'r'
			UNION ALL SELECT relid, level FROM pg_partition_tree(c.oid) WHERE c.relkind = 'p') t
		JOIN pg_class k ON k.oid = t.relid
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		GROUP BY c.relname ORDER BY sum(pg_total_relation_size(t.relid)) DESC LIMIT 8`)
	return db, tables, err
}
