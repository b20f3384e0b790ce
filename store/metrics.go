package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// The queries behind /metrics' business gauges. Each reads a small range
// along an index (open payouts, open holds, a few recon runs, one job run
// per job) or the folded payout counts, never every payout: a scrape at a
// million payouts stays in milliseconds (make bench, benchmark 7).

// PayoutCount is how many payouts of one provider are in one state.
type PayoutCount struct {
	Status   payout.Status `db:"status"`
	Provider string        `db:"provider"`
	Count    int64         `db:"count"`
}

// payoutCountsNow is live payouts counted by status and provider as rows
// (status, provider, n) to add up: payout_counts plus the deltas the fold
// has not taken in yet, exact at the reading statement's snapshot (the
// fold moves deltas in one statement). A condition on status or provider
// reaches both tables.
const payoutCountsNow = `(SELECT status, provider, n FROM payout_counts
	UNION ALL SELECT status, provider, n FROM payout_deltas)`

// PayoutCounts returns how many payouts there are by status and provider,
// live payouts only (the count triggers skip test payouts): payout_counts plus the deltas the fold has not
// taken in yet (migration 00029), so exact at the query's snapshot.
func (s *Store) PayoutCounts(ctx context.Context) ([]PayoutCount, error) {
	var out []PayoutCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT status, provider, sum(n)::bigint AS count FROM `+payoutCountsNow+` c
		GROUP BY status, provider ORDER BY status, provider`)
	if err != nil {
		return nil, fmt.Errorf("store: payout counts: %w", err)
	}
	return out, nil
}

// trendDays is how many days of payout_trend_counts the fold keeps: the
// overview's trends show seven, and a month and a bit is there to look
// back on; a few thousand rows a day.
const trendDays = 35

// FoldPayoutCounts adds the payout count deltas written since the last fold
// into payout_counts and payout_trend_counts (by 15 minutes of creation,
// currency and amount: the overview's trends; deltas written before
// migration 00053 have no bucket and count there already) and deletes them,
// in one statement, and returns how many it folded. A delta committed while
// it runs stays for the next fold; two folds at once cannot both take the
// same delta. The trends keep trendDays: older quarter hours are deleted,
// and a late change to a payout created before them (a reversal months on)
// is counted in payout_counts only.
func (s *Store) FoldPayoutCounts(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `
		WITH moved AS (DELETE FROM payout_deltas RETURNING status, provider, n, bucket, currency, minor),
		pruned AS (DELETE FROM payout_trend_counts WHERE bucket < now() - $1 * interval '1 day'),
		sums AS (SELECT status, provider, sum(n)::bigint AS n FROM moved GROUP BY status, provider),
		folded AS (
			INSERT INTO payout_counts (status, provider, n) SELECT status, provider, n FROM sums
			ON CONFLICT (status, provider) DO UPDATE SET n = payout_counts.n + excluded.n),
		trends AS (SELECT bucket, provider, currency, status, sum(n)::bigint AS n, sum(minor)::bigint AS minor
			FROM moved WHERE bucket >= now() - $1 * interval '1 day' GROUP BY bucket, provider, currency, status),
		trended AS (
			INSERT INTO payout_trend_counts (bucket, provider, currency, status, n, minor)
			SELECT bucket, provider, currency, status, n, minor FROM trends
			ON CONFLICT (bucket, provider, currency, status) DO UPDATE
			SET n = payout_trend_counts.n + excluded.n, minor = payout_trend_counts.minor + excluded.minor)
		SELECT count(*) FROM moved`, trendDays)
	if err != nil {
		return 0, fmt.Errorf("store: fold payout counts: %w", err)
	}
	return n, nil
}

// HoldReasonCount is how many holds of one reason are open, and how many of
// those are overdue (past their SLA, or escalated).
type HoldReasonCount struct {
	Reason  payout.Reason `db:"reason"`
	Open    int           `db:"open"`
	Overdue int           `db:"overdue"`
}

// HoldCountsByReason counts open and overdue holds at now by reason, every
// reason listed (0 when none is open), test payouts' left out: the open
// holds along holds_open_by_due, each one's payout by its key.
func (s *Store) HoldCountsByReason(ctx context.Context, now time.Time) ([]HoldReasonCount, error) {
	var out []HoldReasonCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT r.reason, coalesce(c.open, 0) AS open, coalesce(c.overdue, 0) AS overdue
		FROM hold_reasons r LEFT JOIN (
			SELECT h.reason, count(*) AS open,
				count(*) FILTER (WHERE h.sla_due_at < $1 OR h.escalated_at IS NOT NULL) AS overdue
			FROM holds h WHERE h.state = 'open'
				AND EXISTS (SELECT 1 FROM payouts p WHERE p.id = h.payout_id AND p.livemode)
			GROUP BY h.reason) c ON c.reason = r.reason
		ORDER BY r.position`, now)
	if err != nil {
		return nil, fmt.Errorf("store: holds by reason: %w", err)
	}
	return out, nil
}

// ReconProviderState is, for one provider, what its business days' latest
// reconciliation versions leave to do.
type ReconProviderState struct {
	Provider string `db:"provider"`
	// OpenDiffs counts the open differences of the latest versions.
	OpenDiffs int `db:"open_diffs"`
	// Unsigned counts the latest versions that found differences and are
	// not signed off.
	Unsigned int `db:"unsigned"`
	// OldestUnsigned is when the oldest of those was run; nil when none.
	OldestUnsigned *time.Time `db:"oldest_unsigned"`
}

// ReconStates returns, per provider with a reconciliation, the open
// differences of each day's latest version and the days whose latest
// version found differences and is not signed off. Earlier versions do not
// count: a new version takes its day's place.
func (s *Store) ReconStates(ctx context.Context) ([]ReconProviderState, error) {
	var out []ReconProviderState
	err := s.db.SelectContext(ctx, &out, `
		WITH latest AS (
			SELECT DISTINCT ON (provider, business_date) id, provider, run_at, ties, signed_off_at
			FROM recon_runs ORDER BY provider, business_date, version DESC)
		SELECT l.provider,
			coalesce(sum((SELECT count(*) FROM recon_diffs d WHERE d.run_id = l.id AND d.resolution = 'open')), 0)::int
				AS open_diffs,
			count(*) FILTER (WHERE NOT l.ties AND l.signed_off_at IS NULL) AS unsigned,
			min(l.run_at) FILTER (WHERE NOT l.ties AND l.signed_off_at IS NULL) AS oldest_unsigned
		FROM latest l GROUP BY l.provider ORDER BY l.provider`)
	if err != nil {
		return nil, fmt.Errorf("store: reconciliation states: %w", err)
	}
	return out, nil
}

// JobSuccess is a job's latest successful run.
type JobSuccess struct {
	Job        string        `db:"job"`
	FinishedAt time.Time     `db:"finished_at"`
	Took       time.Duration `db:"-"`
	TookMicros int64         `db:"took_us"`
}

// LastSuccesses returns each job's latest run that finished without an
// error, by any instance. The jobs are found by skipping through
// job_runs_latest (job, id DESC) and each one's runs read newest first from
// there, so the cost is the jobs and their recent failures, not the weeks
// of runs kept.
func (s *Store) LastSuccesses(ctx context.Context) ([]JobSuccess, error) {
	var out []JobSuccess
	err := s.db.SelectContext(ctx, &out, `
		WITH RECURSIVE jobs AS (
			(SELECT job FROM job_runs ORDER BY job LIMIT 1)
			UNION ALL
			SELECT (SELECT r.job FROM job_runs r WHERE r.job > j.job ORDER BY r.job LIMIT 1) FROM jobs j WHERE j.job IS NOT NULL
		)
		SELECT r.job, r.finished_at, (extract(epoch FROM r.finished_at - r.started_at) * 1e6)::bigint AS took_us
		FROM jobs j CROSS JOIN LATERAL (
			SELECT job, started_at, finished_at FROM job_runs
			WHERE job = j.job AND finished_at IS NOT NULL AND error = ''
			ORDER BY id DESC LIMIT 1) r
		WHERE j.job IS NOT NULL
		ORDER BY r.job`)
	if err != nil {
		return nil, fmt.Errorf("store: last job successes: %w", err)
	}
	for i := range out {
		out[i].Took = time.Duration(out[i].TookMicros) * time.Microsecond
	}
	return out, nil
}
