package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"payops/store"
)

// postWebhooks posts signed webhooks from ev to url with conc workers for
// warm+dur and measures the requests answered in the last dur, tagged with
// the outcome the endpoint answered. It returns how many answers were not
// 200.
func postWebhooks(ctx context.Context, url string, ev *events, conc int, warm, dur time.Duration) (window, int, error) {
	client := &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var firstErr error
	w, failed := hammer(ctx, conc, warm, dur, func(rnd *rand.Rand) (string, bool) {
		body, fresh, err := ev.pick(rnd)
		if err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
			return "", false
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-NxtB-Signature", ev.sign(body))
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		var res struct {
			Outcome string `json:"outcome"`
		}
		json.NewDecoder(resp.Body).Decode(&res)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if fresh && resp.StatusCode == http.StatusOK {
			ev.answered(body)
		}
		return res.Outcome, resp.StatusCode == http.StatusOK
	})
	return w, failed, firstErr
}

// webhookSeed is how many times the other benchmarks' payouts benchmark 1
// seeds: each of its nine runs settles in-flight payouts of its own (a
// ninth of them each), and taking webhooks in in groups (issue 19) payops
// settles more in a run than a ninth of a million's in-flight payouts.
const webhookSeed = 4

// levels are benchmark 1's concurrency levels.
var levels = []int{8, 32}

// benchWebhooks is benchmark 1. It returns serve's peak RSS.
func benchWebhooks(ctx context.Context, c config, cl *cluster, r *report, pgbenchBin string) (int64, error) {
	const name, bench = "bench_webhooks", "1 Webhook ingestion"
	c.payouts *= webhookSeed
	st, err := seeded(ctx, cl, name, shape{n: c.payouts, inFlight: true})
	if err != nil {
		return 0, err
	}
	defer cl.done(ctx, name)
	defer st.Close()
	// The sandbox is configured with the secret the load generator signs
	// with; nothing calls its API here (jobs are off).
	p, err := serve(ctx, c.bin, cl.dsn(name), filepath.Join(c.work, "serve-webhooks.log"),
		map[string]string{"PAYOPS_JOBS": "off", "PAYOPS_SANDBOX_BASE_URL": "http://127.0.0.1:9",
			"PAYOPS_SANDBOX_WEBHOOK_SECRET": benchWebhookSecret})
	if err != nil {
		return 0, err
	}
	defer p.stop()
	say("benchmark 1: pgbench -i -s %d for the tpcb-like comparison", tpcbScale)
	if err := tpcbInit(ctx, cl, pgbenchBin); err != nil {
		return 0, err
	}
	defer cl.done(ctx, tpcbDB)
	// Seven runs, each settling in-flight payouts of its own, in ranges of
	// the in-flight payouts' indexes (30% of the seed) in units of a ninth:
	// payops at each level (one unit each), pgbench at each level (two
	// units each: with prepared statements it runs the endpoint's SQL at
	// about twice payops' rate), the outbox off and on (benchOutbox), and
	// payops with synchronous_commit on.
	unit := c.payouts / 10 * 3 / 9
	var mixes, cpus []string
	var tpcbFirst float64 // tpcb-like's transactions/s at the first level
	for li, level := range levels {
		ev := newEvents(benchWebhookSecret, c.payouts, li*unit, (li+1)*unit)
		say("benchmark 1: payops, %d concurrent, %s", level, c.warmup+c.duration)
		meter, err := startCPU(cl.pg.Dir, p.cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		g0, err := readGroups(ctx, p.base)
		if err != nil {
			return 0, err
		}
		running, done := p.watch(ctx)
		w, failed, err := postWebhooks(running, p.base+"/webhooks/sandbox", ev, level, c.warmup, c.duration)
		if err := done(); err != nil {
			return 0, err
		}
		g1, gerr := readGroups(ctx, p.base)
		if gerr != nil {
			return 0, gerr
		}
		if err != nil {
			return 0, err
		}
		used, err := meter.stop()
		if err != nil {
			return 0, err
		}
		if failed > 0 {
			return 0, fmt.Errorf("%d webhooks were not answered 200 at concurrency %d; see %s", failed, level, filepath.Join(c.work, "serve-webhooks.log"))
		}
		sent := int(ev.next.Load()) - li*unit
		if got, err := settledIn(ctx, st, li*unit, (li+1)*unit); err != nil || got != sent {
			return 0, fmt.Errorf("payops, %d concurrent: %d payouts settled with their posting, want %d (%v)", level, got, sent, err)
		}
		say("benchmark 1: pgbench, %d clients, %s", level, c.warmup+c.duration)
		pw, pfailed, pused, err := pgbenchRun{dir: c.work, bin: pgbenchBin, c: cl, db: name, conc: level, first: (2 + 2*li) * unit, size: 2 * unit,
			payouts: c.payouts, level: li, warm: c.warmup, duration: c.duration}.run(ctx, st)
		if err != nil {
			return 0, err
		}
		if pfailed > 0 {
			return 0, fmt.Errorf("%d pgbench transactions failed at -c %d", pfailed, level)
		}
		say("benchmark 1: pgbench tpcb-like, %d clients, %s", level, c.warmup+c.duration)
		tw, tused, err := tpcbRun(ctx, cl, pgbenchBin, c.work, level, c.warmup, c.duration, false)
		if err != nil {
			return 0, err
		}
		ratio, tpcb := w.perSec/pw.perSec, w.perSec/tw.perSec
		if li == 0 {
			tpcbFirst = tw.perSec
		}
		r.add(bench, fmt.Sprintf("payops, %d concurrent: deliveries/s", level), fmt.Sprintf("%.0f", w.perSec))
		r.add(bench, fmt.Sprintf("payops, %d concurrent: p99", level), ms(w.p99))
		size, each := g1.since(g0)
		r.add(bench, fmt.Sprintf("payops, %d concurrent: deliveries per group (mean)", level), fmt.Sprintf("%.1f", size))
		r.add(bench, fmt.Sprintf("payops, %d concurrent: a group's transaction (mean)", level), ms(each))
		r.add(bench, fmt.Sprintf("pgbench, %d clients: transactions/s", level), fmt.Sprintf("%.0f", pw.perSec))
		r.add(bench, fmt.Sprintf("pgbench, %d clients: p99", level), ms(pw.p99))
		r.goal(bench, fmt.Sprintf("payops/pgbench, %d", level), fmt.Sprintf("%.2f", ratio), "≥ 0.8", ratio >= 0.8)
		r.add(bench, fmt.Sprintf("pgbench tpcb-like, %d clients: transactions/s", level), fmt.Sprintf("%.0f", tw.perSec))
		r.goal(bench, fmt.Sprintf("payops/tpcb-like, %d", level), fmt.Sprintf("%.2f", tpcb), "≥ 1", tpcb >= 1)
		tags := []string{store.OutcomeApplied, store.OutcomeDuplicate, store.OutcomeStale}
		mixes = append(mixes, fmt.Sprintf("at %d: payops %s deliveries (%s; p50 %s), pgbench %s transactions (%s; p50 %s)",
			level, thousands(w.count), shares(w, tags...), ms(w.p50), thousands(pw.count), shares(pw, tags...), ms(pw.p50)))
		cpus = append(cpus, fmt.Sprintf("at %d, per delivery: serve %s, the load generator %s, PostgreSQL %s; per pgbench "+
			"transaction: pgbench %s, PostgreSQL %s; per tpcb-like transaction: pgbench %s, PostgreSQL %s", level,
			per(used.server, w.all), per(used.client, w.all), per(used.postgres, w.all),
			per(pused.client, pw.all), per(pused.postgres, pw.all), per(tused.client, tw.all), per(tused.postgres, tw.all)))
	}
	say("benchmark 1: the endpoint without its database, %d concurrent, %s", levels[0], c.warmup+c.duration)
	cw, err := benchCeiling(ctx, c, c.payouts, levels[0])
	if err != nil {
		return 0, err
	}
	r.add(bench, fmt.Sprintf("the endpoint without its database, %d concurrent: deliveries/s", levels[0]), fmt.Sprintf("%.0f", cw.perSec))
	r.add(bench, fmt.Sprintf("the endpoint without its database / tpcb-like, %d", levels[0]), fmt.Sprintf("%.2f", cw.perSec/tpcbFirst))
	outboxHow, err := benchOutbox(ctx, c, st, p, r, [2]int{6 * unit, 7 * unit}, [2]int{7 * unit, 8 * unit})
	if err != nil {
		return 0, err
	}
	rss, err := p.peakRSS()
	if err != nil {
		return 0, err
	}
	p.stop()
	if err := benchSyncCommit(ctx, c, cl, st, r, pgbenchBin, name, [2]int{8 * unit, 9 * unit}); err != nil {
		return 0, err
	}
	r.describe(1, fmt.Sprintf("**Webhook ingestion.** A database of %s sandbox payouts (30%% in flight, PROCESSING; 1%% stuck; the rest "+
		"settled, a tenth of them with the history their webhook wrote: delivery, event, payout event, audit entry, ledger posting; "+
		"four times the other benchmarks' payouts, as each run settles in-flight payouts of its own), `payops serve` with "+
		"`PAYOPS_JOBS=off`, which takes webhooks in in groups (`PAYOPS_WEBHOOK_WRITERS`, 2; the deliveries per group and a group's "+
		"transaction time are the means of serve's own histograms, `payops_webhook_group_deliveries` and "+
		"`payops_webhook_group_duration_seconds`, over each run, its warm-up included). A Go load generator in the bench process posts sandbox webhooks signed with "+
		"`X-NxtB-Signature`, shaped as the sandbox sends them, to `POST /webhooks/sandbox` from 8, then 32 workers, each as fast as "+
		"answers come: %d%% new (the SUCCESS webhook of an in-flight payout, applied, ledger posted), %d%% duplicates (a new one already "+
		"answered, again, byte for byte), the rest stale (a PROCESSING webhook for a SUCCEEDED payout). After each, pgbench (`-M prepared`, "+
		"as payops prepares these statements; `-j 2`) runs `bench/pgbench/{new,duplicate,stale}.sql` with the same weights and as many clients on the same "+
		"database: each script is the statements the endpoint runs for that kind of delivery, in one transaction (new: %d statements, "+
		"duplicate: %d, stale: %d, besides BEGIN and COMMIT), and bench checks them against the statements the endpoint sends before it "+
		"runs them; its values are of the same form and size, except event ids, numbers where the endpoint's are hashes of the body. "+
		"Besides them each script runs statements of its own (one before BEGIN, one between intake and the write) that make its "+
		"variables into the one-element arrays the endpoint sends, which pgbench's \\set cannot: they are counted in its time. "+
		"Each run: %s unmeasured, then %s measured; deliveries/s and transactions/s count what completed in the measured "+
		"%s, p99 is of those requests' (or transactions') latencies. The ratio is payops' deliveries/s over pgbench's transactions/s. "+
		"Then pgbench's built-in tpcb-like script (`-b tpcb-like -M prepared -j 2`, scale %d: its own tables in a database of their own "+
		"on the same cluster) from as many clients, measured the same way: the issue's goal is payops' deliveries/s at least its "+
		"transactions/s. "+
		"Measured mix %s. All deliveries were answered 200 and no pgbench transaction failed. payops' pool holds at most 20 "+
		"connections; pgbench has one per client. CPU time used over each whole run (from /proc; the machine has %d cores): %s. %s "+
		"Then the endpoint without its database: the webhook handler serve runs (signature, send time, JSON, its log line, the "+
		"answer) with a store that writes nothing, served by Go's HTTP server in the bench process, driven the same way at %d "+
		"concurrent — what benchmark 1 can reach at most on this machine whatever PostgreSQL does (serve's middleware left out). "+
		"Last, a fresh `payops serve` whose connections set `synchronous_commit=on` takes %d concurrent posts on in-flight payouts of "+
		"its own, and tpcb-like runs as many clients with `PGOPTIONS=-c synchronous_commit=on`; the cluster keeps fsync off, so this "+
		"measures each commit's wait for its WAL to be written, not a disk's flush.",
		thousands(c.payouts), newShare, duplicateShare, statementsIn("new.sql"), statementsIn("duplicate.sql"), statementsIn("stale.sql"), c.warmup, c.duration, c.duration, tpcbScale, strings.Join(mixes, "; "), runtime.NumCPU(), strings.Join(cpus, "; "), outboxHow, levels[0], outboxLevel))
	return rss, nil
}

// settledIn counts the in-flight payouts of indexes [from, to) (inFlightG)
// that are SUCCEEDED with their ledger posting: the new webhooks applied.
func settledIn(ctx context.Context, st *store.Store, from, to int) (int, error) {
	var n int
	err := st.DB().GetContext(ctx, &n, `SELECT count(*) FROM payouts p
		WHERE p.id % 10 BETWEEN 1 AND 3 AND p.id / 10 * 3 + p.id % 10 - 1 >= $1 AND p.id / 10 * 3 + p.id % 10 - 1 < $2
			AND p.status = 'SUCCEEDED'
			AND EXISTS (SELECT 1 FROM ledger_postings l WHERE l.payout_id = p.id AND l.kind = 'succeeded')`, from, to)
	return n, err
}

// per is d over n, in milliseconds.
func per(d time.Duration, n int) string {
	return fmt.Sprintf("%.2f ms", d.Seconds()*1000/float64(max(n, 1)))
}
