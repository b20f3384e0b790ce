package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"payops/adapters/sandbox"
	"payops/store"
)

// recheckResult is benchmark 4's measure: the stale re-check job's one run
// over the stuck payouts.
type recheckResult struct {
	examined, changed int
	took              time.Duration
	checked           int // stuck payouts whose last_checked_at is from the run
	firstToLast       time.Duration
	rateLimited       int64 // requests the sandbox refused with 429
	peakRSS           int64
}

func (r recheckResult) perSecond() float64 { return float64(r.examined) / r.took.Seconds() }

// benchWebhookSecret signs the benchmarks' sandbox webhooks; payops serve
// is given it (a test provider has no default secret).
const benchWebhookSecret = "bench-sandbox-webhook-secret"

// The sandbox's limit and the lane benchmark 4 gives the job. The lane is
// the limit a second, and 16 calls in flight: at 500 a second that leaves
// each call 32 ms.
const (
	sandboxLimit     = 500
	recheckLaneWidth = 16
)

// runRecheck runs the sandbox provider in this process with its rate limit,
// starts payops serve with its jobs on that sandbox, signs in as an admin
// and presses Run now on the stale re-check, then reads the run's record.
// Scheduled runs are a day away, so the one run is the button's.
func runRecheck(ctx context.Context, bin, dsn, logPath string, st *store.Store, stuck int) (recheckResult, error) {
	sb := sandbox.New(sandbox.Config{Seed: 42, APIKey: "sandbox-key", APISecret: "sandbox-secret",
		WebhookSecret: benchWebhookSecret, RateLimit: sandboxLimit, Log: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return recheckResult{}, err
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	p, err := serve(ctx, bin, dsn, logPath, map[string]string{
		"PAYOPS_SANDBOX_BASE_URL":       "http://" + ln.Addr().String(),
		"PAYOPS_SANDBOX_WEBHOOK_SECRET": benchWebhookSecret,
		"PAYOPS_RECHECK_PER_SECOND":     fmt.Sprint(sandboxLimit),
		"PAYOPS_RECHECK_CONCURRENCY":    fmt.Sprint(recheckLaneWidth),
		"PAYOPS_RECHECK_SCHEDULE":       "@every 24h",
		"PAYOPS_DAYEND_SCHEDULE":        "@every 24h",
	})
	if err != nil {
		return recheckResult{}, err
	}
	defer p.stop()
	const email, password = "admin@bench.example", "bench-admin-password"
	if err := p.addUser(email, "admin", password); err != nil {
		return recheckResult{}, err
	}
	client, err := p.login(email, password, 1)
	if err != nil {
		return recheckResult{}, err
	}
	running, done := p.watch(ctx)
	defer done()
	resp, err := client.PostForm(p.base+"/jobs/stale-recheck/run", url.Values{})
	if err != nil {
		return recheckResult{}, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return recheckResult{}, fmt.Errorf("Run now answered %d, want 303", resp.StatusCode)
	}
	var run struct {
		Started  time.Time  `db:"started_at"`
		Finished *time.Time `db:"finished_at"`
		Examined int        `db:"examined"`
		Changed  int        `db:"changed"`
		Error    string     `db:"error"`
	}
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		if running.Err() != nil {
			return recheckResult{}, done()
		}
		err := st.DB().GetContext(ctx, &run, `SELECT started_at, finished_at, examined, changed, error FROM job_runs
			WHERE job = 'stale-recheck' AND trigger = 'manual' ORDER BY id DESC LIMIT 1`)
		if err == nil && run.Finished != nil {
			break
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return recheckResult{}, err
		}
		if time.Now().After(deadline) {
			return recheckResult{}, fmt.Errorf("the stale re-check did not finish within 10 minutes")
		}
	}
	if run.Error != "" {
		return recheckResult{}, fmt.Errorf("the stale re-check failed: %s", run.Error)
	}
	res := recheckResult{examined: run.Examined, changed: run.Changed, took: run.Finished.Sub(run.Started),
		rateLimited: sb.Counts().RateLimited}
	var checked struct {
		N     int        `db:"n"`
		First *time.Time `db:"first"`
		Last  *time.Time `db:"last"`
	}
	err = st.DB().GetContext(ctx, &checked, `SELECT count(*) AS n, min(last_checked_at) AS first, max(last_checked_at) AS last
		FROM payouts WHERE id % 100 = 0 AND last_checked_at >= $1`, run.Started)
	if err != nil {
		return recheckResult{}, err
	}
	res.checked = checked.N
	if checked.First != nil {
		res.firstToLast = checked.Last.Sub(*checked.First)
	}
	if res.checked != stuck || res.examined != stuck {
		return res, fmt.Errorf("the run examined %d and re-checked %d of the %d stuck payouts", res.examined, res.checked, stuck)
	}
	if res.peakRSS, err = p.peakRSS(); err != nil {
		return res, err
	}
	return res, nil
}
