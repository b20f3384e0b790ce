package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"payops/store"
)

// Source is what the business gauges read: store methods, each along an
// index or a small table (see store/metrics.go).
type Source interface {
	PayoutCounts(ctx context.Context) ([]store.PayoutCount, error)
	StuckSummary(ctx context.Context, before, now time.Time, test bool) ([]store.StuckCount, error)
	StuckPausedByProvider(ctx context.Context, before time.Time, test bool) ([]store.ProviderCount, error)
	HoldCountsByReason(ctx context.Context, now time.Time) ([]store.HoldReasonCount, error)
	ReconStates(ctx context.Context) ([]store.ReconProviderState, error)
	LastSuccesses(ctx context.Context) ([]store.JobSuccess, error)
	Backlog(ctx context.Context) (store.OutboxBacklog, error)
	NoticeBacklog(ctx context.Context) (store.NoticeBacklog, error)
	DefaultRows(ctx context.Context) (map[string]int64, error)
	ReplicaLag(ctx context.Context) (lag float64, configured bool, err error)
}

// StuckAges are the label values of payops_payouts_stuck's age, by
// store.StuckCount.Bucket: from PAYOPS_STUCK_AFTER to 1 h since the last
// change, 1-6 h, 6-24 h, over 24 h.
var StuckAges = []string{"under_1h", "1h_6h", "6h_24h", "over_24h"}

// Business is a prometheus.Collector of gauges read from PostgreSQL. Each
// group of gauges is one query (a reader); all of them share one deadline,
// Timeout. A reader that fails leaves its gauges out and sets
// payops_metrics_scrape_error to 1; the rest of the scrape is served.
//
// One read serves every scrape for MaxAge: scrapes arriving while a read
// is under way wait for it rather than start their own, so a burst of
// scrapes (several Prometheus servers, a dashboard's refresh) costs the
// database one read.
type Business struct {
	Source     Source
	StuckAfter time.Duration // the stuck list's threshold (PAYOPS_STUCK_AFTER)
	// Providers are the configured providers: each gets a zero stuck
	// series in every age, so a rise from nothing is a rise.
	Providers []string
	// Intervals is each scheduled job's interval on this instance, nil
	// with PAYOPS_JOBS=off.
	Intervals map[string]time.Duration
	Timeout   time.Duration // for all of a scrape's queries; 5 s when zero
	// MaxAge is how long one read's values are served; 0 reads at every
	// scrape. A failed read is never served again.
	MaxAge time.Duration
	Log    *slog.Logger
	Now    func() time.Time // time.Now when nil

	mu     sync.Mutex // held through a read, so concurrent scrapes share it
	last   []prometheus.Metric
	lastAt time.Time
}

var (
	descPayouts = prometheus.NewDesc("payops_payouts",
		"Live payouts by status and provider (test payouts, the sandbox's and drills', left out).", []string{"status", "provider"}, nil)
	descStuck = prometheus.NewDesc("payops_payouts_stuck",
		"Stuck payouts (QUEUED or PROCESSING, no change for PAYOPS_STUCK_AFTER; the stuck list's definition) by provider "+
			"and age since their last change: under_1h, 1h_6h, 6h_24h, over_24h.", []string{"provider", "age"}, nil)
	descStuckPaused = prometheus.NewDesc("payops_payouts_stuck_paused",
		"Of payops_payouts_stuck, those payops holds back unsent because their provider is paused (a downtime notice, "+
			"an open circuit breaker): not the provider's delay. By provider.", []string{"provider"}, nil)
	descHoldsOpen = prometheus.NewDesc("payops_holds_open",
		"Open holds by reason.", []string{"reason"}, nil)
	descHoldsOverdue = prometheus.NewDesc("payops_holds_overdue",
		"Open holds past their SLA or escalated, by reason.", []string{"reason"}, nil)
	descReconOpen = prometheus.NewDesc("payops_recon_differences_open",
		"Open differences of each business day's latest reconciliation version, by provider.", []string{"provider"}, nil)
	descReconUnsigned = prometheus.NewDesc("payops_recon_unsigned_with_differences",
		"Business days whose latest reconciliation version found differences and is not signed off, by provider.",
		[]string{"provider"}, nil)
	descReconOldest = prometheus.NewDesc("payops_recon_oldest_unsigned_age_seconds",
		"Time since the oldest of payops_recon_unsigned_with_differences was reconciled, by provider (0 when none).",
		[]string{"provider"}, nil)
	descJobSuccess = prometheus.NewDesc("payops_job_last_success_timestamp_seconds",
		"When each job's latest successful run ended, on any instance (Unix time).", []string{"job"}, nil)
	descJobDuration = prometheus.NewDesc("payops_job_last_duration_seconds",
		"How long each job's latest successful run took, on any instance.", []string{"job"}, nil)
	descJobInterval = prometheus.NewDesc("payops_job_interval_seconds",
		"Each job's schedule interval on this instance (absent with PAYOPS_JOBS=off).", []string{"job"}, nil)
	descOutboxBacklog = prometheus.NewDesc("payops_outbox_backlog",
		"Outbound webhook deliveries waiting to be delivered to enabled endpoints.", nil, nil)
	descOutboxOldest = prometheus.NewDesc("payops_outbox_oldest_undelivered_age_seconds",
		"Age of the oldest outbound webhook delivery still waiting for an enabled endpoint (0 when none).", nil, nil)
	descOutboxParked = prometheus.NewDesc("payops_outbox_parked",
		"Outbound webhook deliveries waiting on a disabled endpoint (sent if it is enabled again within 90 days, "+
			"given up after).", nil, nil)
	descNoticesUnsent = prometheus.NewDesc("payops_notices_unsent",
		"Notices (email, chat) waiting to be sent: not tried yet, or failed and to be tried again at the notify "+
			"job's next run. By channel.", []string{"channel"}, nil)
	descNoticesOldest = prometheus.NewDesc("payops_notices_oldest_unsent_age_seconds",
		"Age of the oldest notice waiting to be sent (0 when none): the people a condition names have not heard "+
			"of it for that long.", nil, nil)
	descNoticesAbandoned = prometheus.NewDesc("payops_notices_abandoned_24h",
		"Notices written in the last 24 hours that were given up on (an address the mail server refused, no "+
			"PAYOPS_SMTP_URL on the sending instance, a day of failed tries): someone was not told.", nil, nil)
	descDefaultRows = prometheus.NewDesc("payops_history_default_rows",
		"Rows in each history table's default partition (counted up to 10,000): written in a month that had no "+
			"partition yet. Zero normally; they are never archived.", []string{"table"}, nil)
	descReplicaUp = prometheus.NewDesc("payops_read_replica_up",
		"1 when the read replica (PAYOPS_READ_DATABASE_URL) answered this scrape, 0 when it did not; absent "+
			"without a replica. The lists, search, the audit log and exports read it.", nil, nil)
	descReplicaLag = prometheus.NewDesc("payops_read_replica_lag_seconds",
		"How far the read replica's replay is behind: 0 when it has replayed all it received, else the time "+
			"since the last transaction it replayed. Absent without a replica, or when it is not a standby.", nil, nil)
	descScrapeError = prometheus.NewDesc("payops_metrics_scrape_error",
		"1 when a query behind the business gauges failed or timed out (its gauges are left out), else 0.",
		nil, nil)
	descScrapeDuration = prometheus.NewDesc("payops_metrics_scrape_duration_seconds",
		"How long the read of the business gauges served took (shared by the scrapes within its max age).", nil, nil)
)

// A reader is one query's worth of gauges.
type reader func(ctx context.Context, now time.Time) ([]prometheus.Metric, error)

// readers lists the gauge groups read at each scrape.
func (b *Business) readers() []reader {
	return []reader{b.payouts, b.stuck, b.holds, b.recon, b.jobs, b.outbox, b.notices, b.history, b.replica}
}

// replicaWait bounds the replica's read within a scrape: one not answering
// leaves the other gauges their time.
const replicaWait = 2 * time.Second

// replica reads whether the read replica answers and how far behind it is.
// A replica not answering is a gauge of its own (payops_read_replica_up 0),
// not a failed scrape: the database's gauges, and the alerts on them, are
// not blind for it.
func (b *Business) replica(ctx context.Context, _ time.Time) ([]prometheus.Metric, error) {
	ctx, cancel := context.WithTimeout(ctx, replicaWait)
	defer cancel()
	lag, configured, err := b.Source.ReplicaLag(ctx)
	switch {
	case !configured:
		return nil, nil
	case err != nil:
		if b.Log != nil {
			b.Log.Warn("read replica not answering", "err", err)
		}
		return []prometheus.Metric{gauge(descReplicaUp, 0)}, nil
	case lag < 0:
		return []prometheus.Metric{gauge(descReplicaUp, 1)}, nil
	}
	return []prometheus.Metric{gauge(descReplicaUp, 1), gauge(descReplicaLag, lag)}, nil
}

// history reads how many rows sit in each history table's default
// partition: one query (the partitions are empty normally).
func (b *Business) history(ctx context.Context, _ time.Time) ([]prometheus.Metric, error) {
	rows, err := b.Source.DefaultRows(ctx)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for table, n := range rows {
		out = append(out, gauge(descDefaultRows, float64(n), table))
	}
	return out, nil
}

// outbox reads the outbound webhooks' backlog along the pending
// deliveries' index: what waits for enabled endpoints and for how long,
// and, apart, what a disabled endpoint has parked (it would otherwise hold
// the backlog-age alert up for as long as the endpoint stays disabled).
func (b *Business) outbox(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	bl, err := b.Source.Backlog(ctx)
	if err != nil {
		return nil, err
	}
	age := 0.0
	if bl.Oldest != nil {
		age = max(now.Sub(*bl.Oldest).Seconds(), 0)
	}
	return []prometheus.Metric{gauge(descOutboxBacklog, float64(bl.Pending)), gauge(descOutboxOldest, age),
		gauge(descOutboxParked, float64(bl.Parked))}, nil
}

// notices reads what of the notices is not sent: waiting by channel, the
// oldest one's age, and the last day's abandoned ones.
func (b *Business) notices(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	nb, err := b.Source.NoticeBacklog(ctx)
	if err != nil {
		return nil, err
	}
	age := 0.0
	if nb.Oldest != nil {
		age = max(now.Sub(*nb.Oldest).Seconds(), 0)
	}
	out := []prometheus.Metric{gauge(descNoticesOldest, age), gauge(descNoticesAbandoned, float64(nb.Abandoned))}
	for channel, n := range nb.Unsent {
		out = append(out, gauge(descNoticesUnsent, float64(n), channel))
	}
	return out, nil
}

// Describe sends every gauge's description.
func (b *Business) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPayouts, descStuck, descStuckPaused, descHoldsOpen, descHoldsOverdue, descReconOpen,
		descReconUnsigned, descReconOldest, descJobSuccess, descJobDuration, descJobInterval, descOutboxBacklog,
		descOutboxOldest, descOutboxParked, descNoticesUnsent, descNoticesOldest, descNoticesAbandoned, descDefaultRows,
		descReplicaUp, descReplicaLag, descScrapeError, descScrapeDuration} {
		ch <- d
	}
}

// Collect sends the gauges, from the last read when it is under MaxAge old
// and succeeded, else from a new one. It never fails the scrape: a failed
// query sets payops_metrics_scrape_error to 1 and leaves its own gauges out.
func (b *Business) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	if b.last == nil || b.MaxAge <= 0 || time.Since(b.lastAt) >= b.MaxAge {
		ms, ok := b.read()
		b.last, b.lastAt = nil, time.Time{}
		if ok {
			b.last, b.lastAt = ms, time.Now()
		}
		b.mu.Unlock()
		send(ch, ms)
		return
	}
	ms := b.last
	b.mu.Unlock()
	send(ch, ms)
}

func send(ch chan<- prometheus.Metric, ms []prometheus.Metric) {
	for _, m := range ms {
		ch <- m
	}
}

// read runs every reader and returns their gauges with the scrape's own,
// and whether every reader succeeded.
func (b *Business) read() ([]prometheus.Metric, bool) {
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(b.Timeout, 5*time.Second))
	defer cancel()
	var out []prometheus.Metric
	failed := 0.0
	for _, read := range b.readers() {
		ms, err := read(ctx, now)
		if err != nil {
			failed = 1
			if b.Log != nil {
				b.Log.Warn("metrics query failed; its gauges are left out of this scrape", "err", err)
			}
			continue
		}
		out = append(out, ms...)
	}
	for job, every := range b.Intervals {
		out = append(out, gauge(descJobInterval, every.Seconds(), job))
	}
	out = append(out, gauge(descScrapeError, failed), gauge(descScrapeDuration, time.Since(began).Seconds()))
	return out, failed == 0
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (b *Business) payouts(ctx context.Context, _ time.Time) ([]prometheus.Metric, error) {
	counts, err := b.Source.PayoutCounts(ctx)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, c := range counts {
		out = append(out, gauge(descPayouts, float64(c.Count), string(c.Status), c.Provider))
	}
	return out, nil
}

// stuck reads the stuck payouts by provider and age, and of them those held
// back by a pause (read only while some provider is paused). Every provider
// with a stuck series has a paused one, so rules can subtract one from the
// other.
func (b *Business) stuck(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	before := now.Add(-b.StuckAfter)
	counts, err := b.Source.StuckSummary(ctx, before, now, false)
	if err != nil {
		return nil, err
	}
	paused, err := b.Source.StuckPausedByProvider(ctx, before, false)
	if err != nil {
		return nil, err
	}
	byProvider := map[string][]int{}
	for _, p := range b.Providers {
		byProvider[p] = make([]int, len(StuckAges))
	}
	for _, c := range counts {
		if byProvider[c.Provider] == nil {
			byProvider[c.Provider] = make([]int, len(StuckAges))
		}
		if c.Bucket >= 0 && c.Bucket < len(StuckAges) {
			byProvider[c.Provider][c.Bucket] += c.Count
		}
	}
	pausedOf := map[string]int{}
	for _, c := range paused {
		pausedOf[c.Provider] = c.Count
		if byProvider[c.Provider] == nil {
			byProvider[c.Provider] = make([]int, len(StuckAges))
		}
	}
	providers := make([]string, 0, len(byProvider))
	for p := range byProvider {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	var out []prometheus.Metric
	for _, p := range providers {
		for i, age := range StuckAges {
			out = append(out, gauge(descStuck, float64(byProvider[p][i]), p, age))
		}
		out = append(out, gauge(descStuckPaused, float64(pausedOf[p]), p))
	}
	return out, nil
}

func (b *Business) holds(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	counts, err := b.Source.HoldCountsByReason(ctx, now)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, c := range counts {
		out = append(out, gauge(descHoldsOpen, float64(c.Open), string(c.Reason)),
			gauge(descHoldsOverdue, float64(c.Overdue), string(c.Reason)))
	}
	return out, nil
}

func (b *Business) recon(ctx context.Context, now time.Time) ([]prometheus.Metric, error) {
	states, err := b.Source.ReconStates(ctx)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, s := range states {
		age := 0.0
		if s.OldestUnsigned != nil {
			age = max(now.Sub(*s.OldestUnsigned).Seconds(), 0)
		}
		out = append(out, gauge(descReconOpen, float64(s.OpenDiffs), s.Provider),
			gauge(descReconUnsigned, float64(s.Unsigned), s.Provider),
			gauge(descReconOldest, age, s.Provider))
	}
	return out, nil
}

func (b *Business) jobs(ctx context.Context, _ time.Time) ([]prometheus.Metric, error) {
	runs, err := b.Source.LastSuccesses(ctx)
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for _, r := range runs {
		out = append(out, gauge(descJobSuccess, float64(r.FinishedAt.UnixMilli())/1000, r.Job),
			gauge(descJobDuration, r.Took.Seconds(), r.Job))
	}
	return out, nil
}
