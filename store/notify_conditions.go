package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// The notify job's reads: each is small and index-backed, so the job can
// run every minute at any number of payouts.

// OverdueHold is an open hold past its SLA or escalated.
type OverdueHold struct {
	ID          int64      `db:"id"`
	Ref         string     `db:"reference_id"`
	ReasonLabel string     `db:"reason_label"`
	OwnerID     *int64     `db:"owner_id"`
	OwnerName   string     `db:"owner_name"`
	SLADueAt    time.Time  `db:"sla_due_at"`
	EscalatedAt *time.Time `db:"escalated_at"`
}

// OverdueHolds returns the open holds past their SLA at now or escalated,
// leaving out test payouts' (along holds_open_by_due: open holds only).
func (s *Store) OverdueHolds(ctx context.Context, now time.Time) ([]OverdueHold, error) {
	var out []OverdueHold
	err := s.db.SelectContext(ctx, &out, `
		SELECT h.id, p.reference_id, r.label AS reason_label, h.owner_id, coalesce(u.name, '') AS owner_name,
			h.sla_due_at, h.escalated_at
		FROM holds h
		JOIN hold_reasons r ON r.reason = h.reason
		JOIN payouts p ON p.id = h.payout_id
		LEFT JOIN users u ON u.id = h.owner_id
		WHERE h.state = 'open' AND (h.sla_due_at < $1 OR h.escalated_at IS NOT NULL)
			AND p.livemode
		ORDER BY h.id`, now)
	if err != nil {
		return nil, fmt.Errorf("store: overdue holds: %w", err)
	}
	return out, nil
}

// ProviderCount is how many of something one provider has, with the
// oldest one's time.
type ProviderCount struct {
	Provider string    `db:"provider"`
	Count    int       `db:"count"`
	Oldest   time.Time `db:"oldest"`
}

// StuckByProvider counts, per provider, the payouts stuck (QUEUED or
// PROCESSING with no change) since before, as the stuck list counts them,
// for providers with at least min of them (along the covering index
// payouts_open_live_by_updated). A payout payops holds back because
// its provider is paused (unsent, QUEUED) is not the provider's delay and
// is left out.
func (s *Store) StuckByProvider(ctx context.Context, before time.Time, min int) ([]ProviderCount, error) {
	var out []ProviderCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT provider, count(*) AS count, min(updated_at) AS oldest FROM payouts p
		WHERE status IN ('QUEUED', 'PROCESSING') AND updated_at < $1 AND livemode
			AND NOT `+heldBackSQL+`
		GROUP BY provider HAVING count(*) >= $2 ORDER BY provider`, before, min)
	if err != nil {
		return nil, fmt.Errorf("store: stuck by provider: %w", err)
	}
	return out, nil
}

// RejectionsByProvider counts, per live provider, webhook deliveries
// refused (bad signature or send time) since since, for providers with more
// than over of them (along webhook_deliveries_received). The test providers'
// are left out: the forged-webhooks drill refuses a hundred on purpose.
func (s *Store) RejectionsByProvider(ctx context.Context, since time.Time, over int) ([]ProviderCount, error) {
	var out []ProviderCount
	err := s.db.SelectContext(ctx, &out, `
		SELECT provider, count(*) AS count, min(received_at) AS oldest FROM webhook_deliveries
		WHERE received_at >= $1 AND outcome = '`+OutcomeRejected+`' AND provider <> ALL($3)
		GROUP BY provider HAVING count(*) > $2 ORDER BY provider`, since, over, textArray(payout.TestProviders))
	if err != nil {
		return nil, fmt.Errorf("store: webhook rejections: %w", err)
	}
	return out, nil
}

// DayWithDifferences is a reconciled day whose latest run has open
// differences and is not signed off.
type DayWithDifferences struct {
	Provider string    `db:"provider"`
	Date     time.Time `db:"business_date"`
	Open     int       `db:"open"`
}

// DaysWithDifferences returns the days from since on, and the older days
// whose condition is active, whose latest run has open differences and no
// sign-off (recon_runs is a row per provider, day and version; open
// differences along recon_diffs_open).
func (s *Store) DaysWithDifferences(ctx context.Context, since time.Time) ([]DayWithDifferences, error) {
	var out []DayWithDifferences
	// Only the latest version of each day is counted, and only when it is
	// not signed off. A day already notified stays in however old it gets
	// (its condition active, under payout.DayEndKey's key): aging out of the
	// window is not being signed off, and would tell finance "cleared".
	err := s.db.SelectContext(ctx, &out, `
		SELECT provider, business_date, open FROM (
			SELECT r.provider, r.business_date,
				(SELECT count(*) FROM recon_diffs d WHERE d.run_id = r.id AND d.resolution = 'open') AS open
			FROM recon_runs r
			WHERE r.signed_off_at IS NULL
				AND `+latestRun+`
				AND (r.business_date >= $1 OR EXISTS (SELECT 1 FROM notify_conditions c WHERE c.active_since IS NOT NULL
					AND c.key = $2 || r.provider || ':' || to_char(r.business_date, 'YYYY-MM-DD')))) latest
		WHERE open > 0 ORDER BY business_date, provider`, since, string(payout.CondDayEndDiffs)+":")
	if err != nil {
		return nil, fmt.Errorf("store: days with differences: %w", err)
	}
	return out, nil
}

// LatestFinishedDrill returns the last drill that passed or failed, or
// ErrNotFound when none has.
func (s *Store) LatestFinishedDrill(ctx context.Context) (DrillRun, error) {
	var d DrillRun
	err := s.db.GetContext(ctx, &d, `SELECT `+drillColumns+` FROM drill_runs
		WHERE state IN ('passed', 'failed') ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return DrillRun{}, fmt.Errorf("store: latest drill: %w", mapErr(err))
	}
	return d, nil
}

// FailingEndpoint is an outbound webhook endpoint failing every delivery:
// for a while (FailingSince), or for so long that it was disabled
// (DisabledAt, ByJob).
type FailingEndpoint struct {
	ID           int64      `db:"id"`
	URL          string     `db:"url"`
	Livemode     bool       `db:"livemode"`
	FailingSince *time.Time `db:"failing_since"`
	DisabledAt   *time.Time `db:"disabled_at"`        // nil while it is tried
	ByJob        bool       `db:"by_job"`             // disabled by the delivery job, for failing
	OwnerID      *int64     `db:"created_by_user_id"` // nil when added by the CLI
}

// FailingEndpoints returns the endpoints disabled for failing and not
// enabled since (an admin's own disabling is not a condition), and the live
// endpoints that have failed every delivery since before failingBefore,
// disabled or not.
func (s *Store) FailingEndpoints(ctx context.Context, failingBefore time.Time) ([]FailingEndpoint, error) {
	var out []FailingEndpoint
	err := s.db.SelectContext(ctx, &out, `SELECT id, url, livemode, failing_since, disabled_at,
			disabled_at IS NOT NULL AND disabled_reason = $1 AS by_job, created_by_user_id
		FROM webhook_endpoints
		WHERE (disabled_at IS NOT NULL AND disabled_reason = $1) OR (livemode AND failing_since < $2)
		ORDER BY id`, failingReason(), failingBefore)
	if err != nil {
		return nil, fmt.Errorf("store: endpoints failing: %w", err)
	}
	return out, nil
}
