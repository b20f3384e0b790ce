package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"payops/payout"
)

// openReconCases: a reconciliation difference still open, in its day's
// latest version, payout.ReconOpenAfter after its business day.
func (s *Store) openReconCases(ctx context.Context, _ Classifier) (int, error) {
	// A carry that failed leaves its cases to the next scan: opening goes on.
	carried := s.carryReconCases(ctx)
	var rows []struct {
		ID          int64     `db:"id"`
		Kind        string    `db:"kind"`
		PayoutID    *int64    `db:"payout_id"`
		ReferenceID string    `db:"reference_id"`
		Provider    string    `db:"provider"`
		Day         time.Time `db:"business_date"`
		RunID       int64     `db:"run_id"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT d.id, d.kind, d.payout_id, d.reference_id, r.provider, r.business_date, r.id AS run_id
		FROM recon_diffs d JOIN recon_runs r ON r.id = d.run_id
		WHERE d.resolution = 'open' AND r.business_date < (now() - $1::interval)::date
		  AND `+latestRun+`
		  AND NOT EXISTS (SELECT 1 FROM exception_cases c WHERE c.kind = 'recon_difference' AND c.subject = 'recon_diff:' || d.id)
		ORDER BY d.id LIMIT 500`, payout.ReconOpenAfter.String())
	if err != nil {
		return 0, errors.Join(carried, fmt.Errorf("store: open differences for cases: %w", err))
	}
	cases := make([]NewCase, len(rows))
	for i, r := range rows {
		day := r.Day.Format("2006-01-02")
		cases[i] = NewCase{Kind: payout.CaseReconDifference, Subject: fmt.Sprintf("recon_diff:%d", r.ID), PayoutID: r.PayoutID,
			Summary: fmt.Sprintf("Still open from %s's day %s: %s, %s", r.Provider, day, reconKindLabel(r.Kind), orDash(r.ReferenceID)),
			Evidence: map[string]any{"difference": r.ID, "kind": r.Kind, "provider": r.Provider, "business_date": day,
				"run": r.RunID, "reference_id": r.ReferenceID},
			Livemode: payout.Livemode(r.Provider)}
	}
	n, err := s.openEach(ctx, cases)
	return n, errors.Join(carried, err)
}

// carryReconCases moves each open case of a difference that a newer version
// of its day finds again (the same kind, reference and provider payout id,
// still open) onto the new version's difference: the case keeps its owner,
// SLA, escalation and history, where closing it and opening another would
// reset them all. A difference the new version no longer finds closes its
// case (closeClearedCases). Run before new cases open, so the new
// difference does not get a case of its own first.
func (s *Store) carryReconCases(ctx context.Context) error {
	return s.WithTx(ctx, func(q Querier) error {
		var moved []struct {
			ID         int64 `db:"id"`
			Version    int   `db:"version"`
			OldVersion int   `db:"old_version"`
		}
		// Old and new are paired within a day by what makes them the same
		// difference, in order (n), so two alike each keep their own case.
		err := q.SelectContext(ctx, &moved, `
			WITH o AS (
				SELECT c.id AS case_id, r.provider, r.business_date, r.version AS old_version, d.kind, d.reference_id,
					d.provider_payout_id, row_number() OVER (PARTITION BY r.provider, r.business_date, d.kind, d.reference_id,
					d.provider_payout_id ORDER BY c.id) AS n
				FROM exception_cases c
				JOIN recon_diffs d ON d.id = split_part(c.subject, ':', 2)::bigint
				JOIN recon_runs r ON r.id = d.run_id
				WHERE c.state = 'open' AND c.kind = 'recon_difference' AND d.resolution = 'open' AND NOT `+latestRun+`),
			nw AS (
				SELECT d.id AS diff_id, r.id AS run_id, r.version, r.provider, r.business_date, d.kind, d.reference_id,
					d.provider_payout_id, row_number() OVER (PARTITION BY r.provider, r.business_date, d.kind, d.reference_id,
					d.provider_payout_id ORDER BY d.id) AS n
				FROM recon_diffs d JOIN recon_runs r ON r.id = d.run_id
				WHERE d.resolution = 'open' AND `+latestRun+`
				  AND (r.provider, r.business_date) IN (SELECT provider, business_date FROM o)
				  AND NOT EXISTS (SELECT 1 FROM exception_cases x WHERE x.kind = 'recon_difference'
				                  AND x.subject = 'recon_diff:' || d.id))
			UPDATE exception_cases c SET subject = 'recon_diff:' || nw.diff_id,
				evidence = c.evidence || jsonb_build_object('difference', nw.diff_id, 'run', nw.run_id)
			FROM o JOIN nw USING (provider, business_date, kind, reference_id, provider_payout_id, n)
			WHERE c.id = o.case_id
			RETURNING c.id, nw.version, o.old_version`)
		if err != nil {
			return fmt.Errorf("store: carry reconciliation cases: %w", err)
		}
		for _, m := range moved {
			if err := audit(ctx, q, "system", "exception.carry", "exception", fmt.Sprint(m.ID), map[string]any{
				"note": fmt.Sprintf("the day was reconciled again: version %d finds the same difference as version %d, "+
					"and the case follows it", m.Version, m.OldVersion)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func reconKindLabel(k string) string {
	if l, ok := map[string]string{"missing_at_provider": "missing at the provider", "missing_in_payops": "missing in payops",
		"amount_mismatch": "amount", "currency_mismatch": "currency", "status_mismatch": "status", "fee_mismatch": "fee"}[k]; ok {
		return l
	}
	return k
}
