package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"payops/store"
)

// stuckAfter is serve's default PAYOPS_STUCK_AFTER, which the page uses.
const stuckAfter = 10 * time.Minute

// getPages gets url with client from conc workers for warm+dur and
// measures the pages answered in the last dur, each read to its end. It
// returns how many answers were not 200.
func getPages(ctx context.Context, client *http.Client, url string, conc int, warm, dur time.Duration) (window, int) {
	return hammer(ctx, conc, warm, dur, func(*rand.Rand) (string, bool) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return "", resp.StatusCode == http.StatusOK
	})
}

// bareStuckQuery runs the store function the page calls, with the page's
// arguments (the first page of 50, every provider), from conc workers.
func bareStuckQuery(ctx context.Context, st *store.Store, conc int, warm, dur time.Duration) (window, int) {
	return hammer(ctx, conc, warm, dur, func(*rand.Rand) (string, bool) {
		rows, total, err := st.StuckPayouts(ctx, store.StuckFilter{Before: time.Now().Add(-stuckAfter), Limit: 50})
		return "", err == nil && len(rows) == 50 && total.All > 0
	})
}

// hammer calls do from conc workers, each with a random source of its own,
// for warm+dur and measures the calls that ended in the last dur; it
// returns how many failed.
func hammer(ctx context.Context, conc int, warm, dur time.Duration, do func(*rand.Rand) (tag string, ok bool)) (window, int) {
	start := time.Now()
	stop := start.Add(warm + dur)
	var mu sync.Mutex
	var all []sample
	failed := 0
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			var mine []sample
			bad := 0
			for ctx.Err() == nil && time.Now().Before(stop) {
				began := time.Now()
				tag, ok := do(rnd)
				end := time.Now()
				if !ok {
					bad++
					continue
				}
				mine = append(mine, sample{end: end, lat: end.Sub(began), tag: tag})
			}
			mu.Lock()
			defer mu.Unlock()
			all = append(all, mine...)
			failed += bad
		})
	}
	wg.Wait()
	return measure(all, start.Add(warm), dur), failed
}

// checkStuckPage gets the page once and checks it lists want stuck payouts.
func checkStuckPage(client *http.Client, url string, want int) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), fmt.Sprintf(`id="stuck-count">%d<`, want)) {
		return fmt.Errorf("GET %s: %d, and the page does not count %d stuck payouts", url, resp.StatusCode, want)
	}
	return nil
}

// benchStuckAndRecheck is benchmarks 2, 7 and 4, on one database of stuck
// payouts: the page first and the metrics scrape (jobs off, no payout
// changes), then the stale re-check over them. It returns serve's peak RSS during 2.
func benchStuckAndRecheck(ctx context.Context, c config, cl *cluster, r *report) (int64, error) {
	const name = "bench_stuck"
	s := shape{n: c.payouts, sandboxIDs: true}
	stuck := s.n / 100
	st, err := seeded(ctx, cl, name, s)
	if err != nil {
		return 0, err
	}
	defer cl.done(ctx, name)
	defer st.Close()
	var rss int64
	if c.want("2") {
		if rss, err = benchStuck(ctx, c, cl.dsn(name), st, stuck, r); err != nil {
			return 0, fmt.Errorf("benchmark 2: %w", err)
		}
	}
	if c.want("7") {
		if err := benchScrape(ctx, c, cl.dsn(name), st, r); err != nil {
			return 0, fmt.Errorf("benchmark 7: %w", err)
		}
	}
	if c.want("4") {
		if err := benchRecheck(ctx, c, cl.dsn(name), st, stuck, r); err != nil {
			return 0, fmt.Errorf("benchmark 4: %w", err)
		}
	}
	return rss, nil
}

const pageConc = 8

func benchStuck(ctx context.Context, c config, dsn string, st *store.Store, stuck int, r *report) (int64, error) {
	const bench = "2 Stuck-payouts page"
	p, err := serve(ctx, c.bin, dsn, filepath.Join(c.work, "serve-stuck.log"), map[string]string{"PAYOPS_JOBS": "off"})
	if err != nil {
		return 0, err
	}
	defer p.stop()
	const email, password = "ops@bench.example", "bench-ops-password"
	if err := p.addUser(email, "ops", password); err != nil {
		return 0, err
	}
	client, err := p.login(email, password, pageConc)
	if err != nil {
		return 0, err
	}
	url := p.base + "/payouts/stuck"
	if err := checkStuckPage(client, url, stuck); err != nil {
		return 0, err
	}
	say("benchmark 2: GET /payouts/stuck, %d concurrent, %s", pageConc, c.warmup+c.duration)
	running, done := p.watch(ctx)
	page, failed := getPages(running, client, url, pageConc, c.warmup, c.duration)
	if err := done(); err != nil {
		return 0, err
	}
	if failed > 0 {
		return 0, fmt.Errorf("%d pages were not answered 200", failed)
	}
	rss, err := p.peakRSS()
	if err != nil {
		return 0, err
	}
	p.stop()
	say("benchmark 2: the page's SQL, %d concurrent, then one at a time", pageConc)
	bare, failed := bareStuckQuery(ctx, st, pageConc, c.warmup, c.duration)
	alone, failed1 := bareStuckQuery(ctx, st, 1, c.warmup, c.duration/4)
	if failed+failed1 > 0 {
		return 0, fmt.Errorf("the stuck payouts query failed %d times", failed+failed1)
	}
	r.add(bench, fmt.Sprintf("page p50, %d concurrent", pageConc), ms(page.p50))
	r.goal(bench, fmt.Sprintf("page p99, %d concurrent", pageConc), ms(page.p99), "< 25 ms", page.p99 < 25*time.Millisecond)
	r.add(bench, fmt.Sprintf("pages/s, %d concurrent", pageConc), fmt.Sprintf("%.0f", page.perSec))
	r.add(bench, fmt.Sprintf("bare SQL p50 / p99, %d concurrent", pageConc), ms(bare.p50)+" / "+ms(bare.p99))
	r.add(bench, "bare SQL p50, one at a time", ms(alone.p50))
	r.describe(2, fmt.Sprintf("**Stuck-payouts page.** A database of %s sandbox payouts, %s of them stuck (PROCESSING, last change "+
		"15 minutes to 47 hours ago) and the rest settled, `payops serve` with `PAYOPS_JOBS=off`. An ops user made with `payops user add` "+
		"signs in through the sign-in form; with its session cookie %d workers get `/payouts/stuck` (the whole HTML page, first page of "+
		"50, read to its end) as fast as answers come: %s unmeasured, %s measured (%s pages). The bare SQL is `store.StuckPayouts`, the "+
		"store function the page calls, with the page's arguments (its count and its page of 50 rows), run the same way from %d workers "+
		"and then from one; the page also loads the signed-in user.",
		thousands(c.payouts), thousands(stuck), pageConc, c.warmup, c.duration, thousands(page.count), pageConc))
	return rss, nil
}

func benchRecheck(ctx context.Context, c config, dsn string, st *store.Store, stuck int, r *report) error {
	const bench = "4 Stale re-check"
	say("benchmark 4: the stale re-check over %s stuck payouts, sandbox limited to %d requests/s", thousands(stuck), sandboxLimit)
	res, err := runRecheck(ctx, c.bin, dsn, filepath.Join(c.work, "serve-recheck.log"), st, stuck)
	if err != nil {
		return err
	}
	frac := res.perSecond() / sandboxLimit
	r.add(bench, fmt.Sprintf("re-checked payouts/s (%s stuck)", thousands(stuck)), fmt.Sprintf("%.0f", res.perSecond()))
	r.goal(bench, fmt.Sprintf("fraction of the %d/s limit", sandboxLimit), fmt.Sprintf("%.2f", frac), "≥ 0.9", frac >= 0.9)
	r.add(bench, "requests refused by the limit (429)", thousands(int(res.rateLimited)))
	r.describe(4, fmt.Sprintf("**Stale re-check.** The same database after benchmark 2. The sandbox provider runs in the bench "+
		"process with `RateLimit: %d` (a token bucket holding a tenth of a second's worth; above it 429 with `Retry-After: 1`); "+
		"`payops serve` runs its jobs against it with `PAYOPS_RECHECK_PER_SECOND=%d` and `PAYOPS_RECHECK_CONCURRENCY=%d`, scheduled "+
		"runs a day away. An admin signs in and presses Run now on `stale-recheck`; the figure is the run's examined payouts over its "+
		"duration from `job_runs` (%s payouts in %s; %s changed state; all %s stuck payouts' `last_checked_at` is from the run, first "+
		"to last %s). serve's peak RSS during it: %s.",
		sandboxLimit, sandboxLimit, recheckLaneWidth, thousands(res.examined), secs(res.took), thousands(res.changed),
		thousands(res.checked), secs(res.firstToLast), mib(res.peakRSS)))
	return nil
}
