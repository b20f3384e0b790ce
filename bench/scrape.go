package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"payops/metrics"
	"payops/store"
)

// unfoldedDeltas is how many payout count delta rows benchmark 7 leaves
// unfolded: 10 s (the fold job's interval) of 1,000 status changes a second,
// two rows each, the most a scrape sums just before a fold under load
// above benchmark 1's ingestion rate.
const unfoldedDeltas = 20_000

// benchScrape is benchmark 7: GET /metrics at pageConc concurrent on the
// database of benchmark 2 (a million payouts, 10,000 of them stuck), with
// unfoldedDeltas count deltas waiting for the fold.
func benchScrape(ctx context.Context, c config, dsn string, st *store.Store, r *report) error {
	const bench = "7 Metrics scrape"
	if _, err := st.FoldPayoutCounts(ctx); err != nil {
		return err
	}
	// A status change's two delta rows, as the trigger writes them.
	_, err := st.DB().ExecContext(ctx, `
		INSERT INTO payout_deltas (status, provider, n)
		SELECT CASE WHEN g % 2 = 0 THEN 'PROCESSING' ELSE 'SUCCEEDED' END, 'sandbox', CASE WHEN g % 2 = 0 THEN -1 ELSE 1 END
		FROM generate_series(1, $1::int) g`, unfoldedDeltas)
	if err != nil {
		return fmt.Errorf("unfolded deltas: %w", err)
	}
	p, err := serve(ctx, c.bin, dsn, filepath.Join(c.work, "serve-scrape.log"), map[string]string{"PAYOPS_JOBS": "off"})
	if err != nil {
		return err
	}
	defer p.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: pageConc}, Timeout: 30 * time.Second}
	url := p.base + "/metrics"
	if err := checkScrape(client, url); err != nil {
		return err
	}
	say("benchmark 7: GET /metrics, %d concurrent, %s", pageConc, c.warmup+c.duration)
	scrapes, failed := hammer(ctx, pageConc, c.warmup, c.duration, func(*rand.Rand) (string, bool) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return "", err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(b), "payops_metrics_scrape_error 0")
	})
	if failed > 0 {
		return fmt.Errorf("%d scrapes were not answered 200 with every business gauge", failed)
	}
	one, failed := hammer(ctx, 1, c.warmup, c.duration/4, func(*rand.Rand) (string, bool) {
		resp, err := client.Get(url)
		if err != nil {
			return "", false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return "", resp.StatusCode == http.StatusOK
	})
	if failed > 0 {
		return fmt.Errorf("%d scrapes one at a time were not answered 200", failed)
	}
	p.stop()
	say("benchmark 7: the business gauges' queries, uncached, %d concurrent, then one at a time", pageConc)
	bare, failed := bareRead(ctx, st, pageConc, c.warmup, c.duration)
	bare1, failed1 := bareRead(ctx, st, 1, c.warmup, c.duration/4)
	if failed+failed1 > 0 {
		return fmt.Errorf("the business gauges' queries failed %d times", failed+failed1)
	}
	r.add(bench, fmt.Sprintf("scrape p50, %d concurrent", pageConc), ms(scrapes.p50))
	r.goal(bench, fmt.Sprintf("scrape p99, %d concurrent", pageConc), ms(scrapes.p99), "< 50 ms", scrapes.p99 < 50*time.Millisecond)
	r.add(bench, fmt.Sprintf("scrapes/s, %d concurrent", pageConc), fmt.Sprintf("%.0f", scrapes.perSec))
	r.add(bench, "scrape p50 / p99, one at a time", ms(one.p50)+" / "+ms(one.p99))
	r.add(bench, fmt.Sprintf("uncached read p50 / p99, %d concurrent", pageConc), ms(bare.p50)+" / "+ms(bare.p99))
	r.add(bench, "uncached read p50 / p99, one at a time", ms(bare1.p50)+" / "+ms(bare1.p99))
	r.describe(7, fmt.Sprintf("**Metrics scrape.** The database of benchmark 2 (%s sandbox payouts, %s of them stuck, the rest "+
		"settled), its payout counts folded and then %s count deltas added unfolded (%s status changes, two rows each: 10 s "+
		"of the fold job at 1,000 changes a second, what a read sums just before a fold under load), `payops serve` with "+
		"`PAYOPS_JOBS=off`. %d workers get `/metrics` (Go and process metrics, HTTP metrics and every business gauge: payouts "+
		"by status and provider, stuck payouts by age, holds, reconciliation, jobs), each read to its end and checked for "+
		"`payops_metrics_scrape_error 0`, as fast as answers come: %s unmeasured, %s measured (%s scrapes); then one worker "+
		"for a quarter of that. serve reads the business gauges at most every 5 s and scrapes in between share that read, "+
		"so most of these scrapes are served from it: the uncached read is the collector (`metrics.Business` with no max "+
		"age) gathered in the bench process on the same database, every query each time, from %d workers and then one. "+
		"Prometheus scrapes each instance every 15 to 60 s.",
		thousands(c.payouts), thousands(c.payouts/100), thousands(unfoldedDeltas), thousands(unfoldedDeltas/2),
		pageConc, c.warmup, c.duration, thousands(scrapes.count), pageConc))
	return nil
}

// checkScrape gets /metrics once and checks the business gauges are there.
func checkScrape(client *http.Client, url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	for _, want := range []string{"payops_metrics_scrape_error 0", `payops_payouts{provider="sandbox",status="SUCCEEDED"}`,
		`payops_payouts_stuck{age="over_24h",provider="sandbox"}`} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			return fmt.Errorf("GET %s: %d, and no %s in it", url, resp.StatusCode, want)
		}
	}
	return nil
}

// bareRead gathers the business gauges with no max age, every query each
// time, from conc workers; a read with a failed query fails.
func bareRead(ctx context.Context, st *store.Store, conc int, warm, dur time.Duration) (window, int) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&metrics.Business{Source: st, StuckAfter: stuckAfter, Providers: []string{"sandbox"}})
	return hammer(ctx, conc, warm, dur, func(*rand.Rand) (string, bool) {
		fams, err := reg.Gather()
		if err != nil {
			return "", false
		}
		for _, f := range fams {
			if f.GetName() == "payops_metrics_scrape_error" {
				return "", f.GetMetric()[0].GetGauge().GetValue() == 0
			}
		}
		return "", false
	})
}
