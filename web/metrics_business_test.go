package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"payops/adapters/sandbox"
	"payops/metrics"
	"payops/payout"
	"payops/store"
	"payops/store/pgtest"
	"payops/web"
)

// metricsApp is the app's server again with the business metrics wired as
// serve wires them: the collector over the store, one read served for
// maxAge, and the delivery counter.
func metricsApp(t *testing.T, a *app, maxAge time.Duration) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(&metrics.Business{Source: a.store, StuckAfter: a.config.StuckAfter, Providers: []string{"sandbox"},
		Intervals: map[string]time.Duration{"submit": 5 * time.Second, "hold-sla": time.Minute}, MaxAge: maxAge})
	deps := a.deps
	deps.Metrics = reg
	deps.Deliveries = metrics.NewDeliveries(reg, []string{"sandbox"}, store.Outcomes)
	s, err := web.New(a.config, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// scrape gets /metrics and returns its text and its parsed families.
func scrape(t *testing.T, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return string(body), fams
}

// sample is one series' value, by name and labels ("k=v" pairs).
type sample struct {
	name   string
	labels map[string]string
}

// valueOf returns the value of the series of fams with exactly s's name and
// labels, and whether there is one.
func valueOf(fams map[string]*dto.MetricFamily, s sample) (float64, bool) {
	fam, ok := fams[s.name]
	if !ok {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(s.labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if s.labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func l(kv ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// /metrics gives the business gauges' exact values from the database:
// payouts by status and provider (drills' left out) before and after the
// count deltas are folded, stuck payouts by age (and those held back by a
// paused provider), holds, reconciliation and
// jobs, and deliveries by outcome counted where the endpoint decides them.
func TestMetricsBusinessGauges(t *testing.T) {
	a := newApp(t)
	srv := metricsApp(t, a, 0)
	ctx := context.Background()
	db := a.store.DB()

	a.addPayout("M-OK-1", payout.Succeeded, 3*time.Hour)
	a.addPayout("M-OK-2", payout.Succeeded, 3*time.Hour)
	a.addPayout("M-FAIL", payout.Failed, 3*time.Hour)
	a.addPayout("M-NEW", payout.Queued, 5*time.Minute)      // not stuck: changed 5 minutes ago
	a.addPayout("M-30M", payout.Processing, 30*time.Minute) // stuck under 1 h
	a.addPayout("M-2H", payout.Processing, 2*time.Hour)     // stuck 1-6 h
	a.addPayout("M-30H", payout.Processing, 30*time.Hour)   // stuck over 24 h
	a.addPayout("M-SETTLE", payout.Processing, time.Minute) // settled by a webhook below
	a.addPayout("M-PAUSED", payout.Queued, 2*time.Hour)     // stuck 1-6 h, held back unsent: sandbox is paused
	db.MustExec(`UPDATE payouts SET submitted_at = NULL, provider_payout_id = NULL,
		updated_at = now() - interval '2 hours' WHERE reference_id = 'M-PAUSED'`)
	if err := a.store.RecordDowntime(ctx, store.Downtime{Provider: "sandbox", ID: "dt-1", Detail: "IMPS down"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	a.addProviderPayout(payout.DrillProvider, "M-DRILL", "drl-1") // a drill's: left out
	if _, err := a.store.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	a.addPayout("M-HELD", payout.Held, time.Hour) // after the fold: read from the deltas

	// A verified webhook settles M-SETTLE (a delta after the fold); an
	// unsigned one is rejected; the same event again is a duplicate.
	ok := nxtbSigned(nxtbBody(sandbox.PayoutIDFor("M-SETTLE"), "M-SETTLE", "SUCCESS", "UTR9", time.Now()))
	for i, want := range []int{200, 200} {
		if code, out := ok.post(t, srv.URL); code != want {
			t.Fatalf("webhook %d: %d %v", i, code, out)
		}
	}
	if code, _ := (signed{"sandbox", ok.body, nil}).post(t, srv.URL); code != 401 {
		t.Fatalf("unsigned webhook: %d, want 401", code)
	}

	var heldID int64
	if err := db.Get(&heldID, `SELECT id FROM payouts WHERE reference_id = 'M-HELD'`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO holds (payout_id, reason, detail, placed_by, sla_due_at) VALUES
		($1, 'beneficiary', 'x', 'test', now() + interval '1 hour'),
		($1, 'review_threshold', 'x', 'test', now() - interval '1 hour')`, heldID)
	var drillID int64
	if err := db.Get(&drillID, `SELECT id FROM payouts WHERE reference_id = 'M-DRILL'`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO holds (payout_id, reason, detail, placed_by, sla_due_at) VALUES
		($1, 'beneficiary', 'drill', 'test', now() - interval '1 hour')`, drillID)

	// Reconciliation: 25 Nov has two versions, the latest with one open
	// and one resolved difference, unsigned, run two days ago; 24 Nov
	// found differences and is signed off; razorpayx's 24 Nov ties.
	runAt := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	run := func(provider, date string, version int, ties bool, signed bool, at time.Time) int64 {
		t.Helper()
		var id int64
		err := db.Get(&id, `INSERT INTO recon_runs (provider, business_date, version, source, day_start, day_end, run_by,
			run_at, ties, signed_off_by, signed_off_at)
			VALUES ($1, $2, $3, 'list', $2::date, $2::date + 1, 'test', $4, $5,
				CASE WHEN $6 THEN 'fin' END, CASE WHEN $6 THEN now() END) RETURNING id`,
			provider, date, version, at, ties, signed)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	diff := func(runID int64, resolution string) {
		db.MustExec(`INSERT INTO recon_diffs (run_id, kind, resolution) VALUES ($1, 'amount_mismatch', $2)`, runID, resolution)
	}
	v1 := run("sandbox", "2026-11-25", 1, false, false, runAt.Add(-time.Hour))
	diff(v1, "open")
	diff(v1, "open")
	v2 := run("sandbox", "2026-11-25", 2, false, false, runAt)
	diff(v2, "open")
	diff(v2, "resolved")
	signedRun := run("sandbox", "2026-11-24", 1, false, true, runAt.Add(-24*time.Hour))
	diff(signedRun, "accepted")
	run("razorpayx", "2026-11-24", 1, true, false, runAt)

	// Jobs: submit succeeded (2 s) and then failed; day-end only failed.
	done := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	db.MustExec(`INSERT INTO job_runs (job, instance, trigger, started_at, finished_at, error) VALUES
		('submit', 'i1', 'manual', $1::timestamptz - interval '2 seconds', $1, ''),
		('submit', 'i2', 'manual', $1::timestamptz + interval '5 seconds', $1::timestamptz + interval '6 seconds', 'boom'),
		('day-end', 'i1', 'manual', $1, $1, 'boom')`, done)

	text, fams := scrape(t, srv.URL)
	twoDays := time.Since(runAt).Seconds()
	tests := []struct {
		s    sample
		want float64
	}{
		{sample{"payops_payouts", l("status", "SUCCEEDED", "provider", "sandbox")}, 3},
		{sample{"payops_payouts", l("status", "FAILED", "provider", "sandbox")}, 1},
		{sample{"payops_payouts", l("status", "QUEUED", "provider", "sandbox")}, 2},
		{sample{"payops_payouts", l("status", "PROCESSING", "provider", "sandbox")}, 3},
		{sample{"payops_payouts", l("status", "HELD", "provider", "sandbox")}, 1},
		{sample{"payops_payouts_stuck", l("provider", "sandbox", "age", "under_1h")}, 1},
		{sample{"payops_payouts_stuck", l("provider", "sandbox", "age", "1h_6h")}, 2},
		{sample{"payops_payouts_stuck", l("provider", "sandbox", "age", "6h_24h")}, 0},
		{sample{"payops_payouts_stuck", l("provider", "sandbox", "age", "over_24h")}, 1},
		{sample{"payops_payouts_stuck_paused", l("provider", "sandbox")}, 1},
		{sample{"payops_holds_open", l("reason", "beneficiary")}, 1},
		{sample{"payops_holds_overdue", l("reason", "beneficiary")}, 0},
		{sample{"payops_holds_open", l("reason", "review_threshold")}, 1},
		{sample{"payops_holds_overdue", l("reason", "review_threshold")}, 1},
		{sample{"payops_holds_open", l("reason", "manual_review")}, 0},
		{sample{"payops_recon_differences_open", l("provider", "sandbox")}, 1},
		{sample{"payops_recon_unsigned_with_differences", l("provider", "sandbox")}, 1},
		{sample{"payops_recon_differences_open", l("provider", "razorpayx")}, 0},
		{sample{"payops_recon_unsigned_with_differences", l("provider", "razorpayx")}, 0},
		{sample{"payops_recon_oldest_unsigned_age_seconds", l("provider", "razorpayx")}, 0},
		{sample{"payops_job_last_success_timestamp_seconds", l("job", "submit")}, float64(done.UnixMilli()) / 1000},
		{sample{"payops_job_last_duration_seconds", l("job", "submit")}, 2},
		{sample{"payops_job_interval_seconds", l("job", "submit")}, 5},
		{sample{"payops_job_interval_seconds", l("job", "hold-sla")}, 60},
		{sample{"payops_webhook_deliveries_total", l("provider", "sandbox", "outcome", "applied")}, 1},
		{sample{"payops_webhook_deliveries_total", l("provider", "sandbox", "outcome", "duplicate")}, 1},
		{sample{"payops_webhook_deliveries_total", l("provider", "sandbox", "outcome", "rejected")}, 1},
		{sample{"payops_webhook_deliveries_total", l("provider", "sandbox", "outcome", "orphan")}, 0},
		{sample{"payops_metrics_scrape_error", l()}, 0},
	}
	for _, tt := range tests {
		got, ok := valueOf(fams, tt.s)
		if !ok {
			t.Errorf("%s%v: missing", tt.s.name, tt.s.labels)
			continue
		}
		if got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.s.name, tt.s.labels, got, tt.want)
		}
	}
	if got, ok := valueOf(fams, sample{"payops_recon_oldest_unsigned_age_seconds", l("provider", "sandbox")}); !ok ||
		got < twoDays-5 || got > twoDays+5 {
		t.Errorf("payops_recon_oldest_unsigned_age_seconds{sandbox} = %v (%v), want about %v", got, ok, twoDays)
	}
	absent := []sample{
		{"payops_payouts", l("status", "PROCESSING", "provider", payout.DrillProvider)},
		{"payops_payouts_stuck", l("provider", payout.DrillProvider, "age", "under_1h")},
		{"payops_job_last_success_timestamp_seconds", l("job", "day-end")},
	}
	for _, s := range absent {
		if v, ok := valueOf(fams, s); ok {
			t.Errorf("%s%v = %v, want no such series", s.name, s.labels, v)
		}
	}

	// Folding changes nothing a scrape sees.
	if _, err := a.store.FoldPayoutCounts(ctx); err != nil {
		t.Fatal(err)
	}
	_, after := scrape(t, srv.URL)
	for _, tt := range tests[:5] {
		if got, _ := valueOf(after, tt.s); got != tt.want {
			t.Errorf("after the fold: %s%v = %v, want %v", tt.s.name, tt.s.labels, got, tt.want)
		}
	}
	promtoolCheckMetrics(t, text)
}

// promtoolCheckMetrics lints a /metrics text with promtool check metrics.
// make test installs promtool and sets PAYOPS_PROMTOOL=required, so there
// a missing promtool fails; elsewhere the lint is skipped, saying so.
func promtoolCheckMetrics(t *testing.T, text string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("PAYOPS_PROMTOOL") == "required" {
			t.Fatal("promtool not found (make deps-prometheus installs it)")
		}
		t.Log("promtool not found: /metrics not linted (make test installs promtool and requires it)")
		return
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader([]byte(text))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// A database that does not answer leaves the business gauges out and sets
// payops_metrics_scrape_error to 1; the rest of /metrics is still served.
func TestMetricsScrapeErrorWhenTheDatabaseFails(t *testing.T) {
	a := newApp(t)
	srv := metricsApp(t, a, time.Hour)
	a.store.Close()
	_, fams := scrape(t, srv.URL)
	if got, ok := valueOf(fams, sample{"payops_metrics_scrape_error", l()}); !ok || got != 1 {
		t.Errorf("payops_metrics_scrape_error = %v (%v), want 1", got, ok)
	}
	if _, ok := fams["payops_payouts"]; ok {
		t.Error("payops_payouts served without a database")
	}
	if got, ok := valueOf(fams, sample{"payops_job_interval_seconds", l("job", "submit")}); !ok || got != 5 {
		t.Errorf("payops_job_interval_seconds{submit} = %v (%v), want 5", got, ok)
	}
}

// One read serves the scrapes within its max age; a later one reads again.
func TestMetricsOneReadServedForItsMaxAge(t *testing.T) {
	a := newApp(t)
	cached := metricsApp(t, a, time.Hour)
	fresh := metricsApp(t, a, 0)
	queued := sample{"payops_payouts", l("status", "QUEUED", "provider", "sandbox")}
	a.addPayout("C-1", payout.Queued, time.Minute)
	_, fams := scrape(t, cached.URL)
	if got, _ := valueOf(fams, queued); got != 1 {
		t.Fatalf("first scrape: %v queued, want 1", got)
	}
	a.addPayout("C-2", payout.Queued, time.Minute)
	_, fams = scrape(t, cached.URL)
	if got, _ := valueOf(fams, queued); got != 1 {
		t.Errorf("within the max age: %v queued, want 1 (the first read's)", got)
	}
	_, fams = scrape(t, fresh.URL)
	if got, _ := valueOf(fams, queued); got != 2 {
		t.Errorf("max age 0: %v queued, want 2", got)
	}
}

// The outbox gauges: deliveries waiting for an enabled endpoint count in
// the backlog with the oldest one's age; a disabled endpoint's are parked
// apart, so they do not hold the backlog-age alert up.
func TestMetricsOutboxBacklog(t *testing.T) {
	a := newApp(t)
	srv := metricsApp(t, a, 0)
	ctx := context.Background()
	by := store.Actor{Name: "admin@example.com"}
	live, err := a.store.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://platform.example/hooks"}, by)
	if err != nil {
		t.Fatal(err)
	}
	off, err := a.store.AddWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: "https://old.example/hooks"}, by)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{live.ID, live.ID, off.ID} {
		if _, err := a.store.SendTestEvent(ctx, id, by); err != nil {
			t.Fatal(err)
		}
	}
	a.store.DB().MustExec(`UPDATE outbound_deliveries SET created_at = now() - interval '10 minutes'
		WHERE id = (SELECT min(id) FROM outbound_deliveries)`)
	if err := a.store.SetWebhookEndpointEnabled(ctx, off.ID, false, "moved", by); err != nil {
		t.Fatal(err)
	}

	_, fams := scrape(t, srv.URL)
	for _, tt := range []struct {
		name string
		want float64
	}{{"payops_outbox_backlog", 2}, {"payops_outbox_parked", 1}} {
		if got, ok := valueOf(fams, sample{tt.name, l()}); !ok || got != tt.want {
			t.Errorf("%s = %v (%v), want %v", tt.name, got, ok, tt.want)
		}
	}
	age, ok := valueOf(fams, sample{"payops_outbox_oldest_undelivered_age_seconds", l()})
	if !ok || age < 595 || age > 660 {
		t.Errorf("payops_outbox_oldest_undelivered_age_seconds = %v (%v), want about 600", age, ok)
	}
}

// The notices gauges: what waits to be sent by channel with the oldest
// one's age, and what was given up on in the last day (an older abandoned
// notice does not count).
func TestMetricsNoticeBacklog(t *testing.T) {
	a := newApp(t)
	srv := metricsApp(t, a, 0)
	ctx := context.Background()
	for _, n := range []store.NewNotice{
		{ConditionKey: "stuck:nxtbanking", Kind: payout.CondStuck, Notice: payout.NoticeStarted, Channel: store.ChannelEmail,
			Recipient: "ops@example.com", Subject: "s", Body: "b"},
		{ConditionKey: "stuck:nxtbanking", Kind: payout.CondStuck, Notice: payout.NoticeStarted, Channel: store.ChannelChat,
			Recipient: "https://chat.example/hook", Subject: "s", Body: "b"},
		{ConditionKey: "stuck:xendit", Kind: payout.CondStuck, Notice: payout.NoticeStarted, Channel: store.ChannelEmail,
			Recipient: "ops@example.com", Subject: "s", Body: "b"},
		{ConditionKey: "stuck:xendit", Kind: payout.CondStuck, Notice: payout.NoticeStarted, Channel: store.ChannelEmail,
			Recipient: "gone@example.com", Subject: "s", Body: "b"},
	} {
		if _, err := a.store.QueueNotice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	db := a.store.DB()
	db.MustExec(`UPDATE notifications SET created_at = now() - interval '20 minutes', state = 'failed', attempts = 3
		WHERE id = (SELECT min(id) FROM notifications)`)
	db.MustExec(`UPDATE notifications SET state = 'abandoned' WHERE recipient = 'gone@example.com'`)
	db.MustExec(`INSERT INTO notifications (condition_key, kind, notice, channel, recipient, subject, body, state, created_at)
		VALUES ('stuck:paywize', 'stuck', 'started', 'email', 'old@example.com', 's', 'b', 'abandoned', now() - interval '2 days')`)

	_, fams := scrape(t, srv.URL)
	for _, tt := range []struct {
		s    sample
		want float64
	}{
		{sample{"payops_notices_unsent", l("channel", "email")}, 2},
		{sample{"payops_notices_unsent", l("channel", "chat")}, 1},
		{sample{"payops_notices_abandoned_24h", l()}, 1},
	} {
		if got, ok := valueOf(fams, tt.s); !ok || got != tt.want {
			t.Errorf("%s %v = %v (%v), want %v", tt.s.name, tt.s.labels, got, ok, tt.want)
		}
	}
	age, ok := valueOf(fams, sample{"payops_notices_oldest_unsent_age_seconds", l()})
	if !ok || age < 1195 || age > 1260 {
		t.Errorf("payops_notices_oldest_unsent_age_seconds = %v (%v), want about 1200", age, ok)
	}
}

// With a read replica, /metrics says whether it answers and how far behind
// it is: a replica that is no standby (here another database) answers with
// no lag to tell; one that does not answer is payops_read_replica_up 0, not
// a failed scrape. Without a replica neither series is served.
func TestMetricsReadReplica(t *testing.T) {
	a := newApp(t)
	_, fams := scrape(t, metricsApp(t, a, 0).URL)
	if _, ok := fams["payops_read_replica_up"]; ok {
		t.Error("payops_read_replica_up served without a replica")
	}
	if err := a.store.UseReplica(pgtest.NewDSN(t)); err != nil {
		t.Fatal(err)
	}
	_, fams = scrape(t, metricsApp(t, a, 0).URL)
	if got, ok := valueOf(fams, sample{"payops_read_replica_up", l()}); !ok || got != 1 {
		t.Errorf("payops_read_replica_up = %v (%v), want 1", got, ok)
	}
	if _, ok := fams["payops_read_replica_lag_seconds"]; ok {
		t.Error("a lag served for a replica that is no standby")
	}
	if err := a.store.UseReplica("postgres://payops@127.0.0.1:1/payops?sslmode=disable&connect_timeout=1"); err != nil {
		t.Fatal(err)
	}
	_, fams = scrape(t, metricsApp(t, a, 0).URL)
	if got, ok := valueOf(fams, sample{"payops_read_replica_up", l()}); !ok || got != 0 {
		t.Errorf("payops_read_replica_up with the replica down = %v (%v), want 0", got, ok)
	}
	if got, ok := valueOf(fams, sample{"payops_metrics_scrape_error", l()}); !ok || got != 0 {
		t.Errorf("payops_metrics_scrape_error with the replica down = %v (%v), want 0", got, ok)
	}
}
