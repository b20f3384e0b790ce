package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// Submission is a payout claimed for sending, with what the provider needs,
// the whole account number included: it goes to the adapter and nowhere else.
type Submission struct {
	ID          int64  `db:"id"`
	ReferenceID string `db:"reference_id"`
	Provider    string `db:"provider"`
	AmountMinor int64  `db:"amount_minor"`
	Currency    string `db:"currency"`
	Mode        string `db:"mode"`
	Narration   string `db:"narration"`
	Attempt     int    `db:"submit_attempts"`
	Name        string `db:"name"`
	Account     string `db:"account_number"`
	IFSC        string `db:"ifsc"`
	BankCode    string `db:"bank_code"`
	BankName    string `db:"bank_name"`
}

// Submitter is the actor name of the submission worker.
const Submitter = "submitter"

// ClaimForSubmit claims up to limit QUEUED payouts the provider has not seen
// and that are due, skipping rows another worker has locked. Each claimed
// payout's gates are evaluated again and recorded (config may have changed
// since intake); one that fails a gate is held instead of returned. The
// others get their attempt counted and a lease: no worker claims them again
// before it ends, so a worker that dies mid-call leaves the payout to be
// retried, under the same reference id, after lease. Payouts of the
// providers in skip are left for another instance (a test provider that
// is off here, such as a drill running on another instance).
func (s *Store) ClaimForSubmit(ctx context.Context, limit int, lease time.Duration, policy payout.Policy,
	skip []string) ([]Submission, error) {
	var out []Submission
	err := s.WithTx(ctx, func(q Querier) error {
		out = nil
		var due []struct {
			ID       int64  `db:"id"`
			Provider string `db:"provider"`
			HalfOpen bool   `db:"half_open"` // its breaker is past its retry time: a probe may go
			// An attempt counted whose outcome was never recorded.
			Unrecorded bool `db:"unrecorded"`
		}
		// Payouts of a paused provider (a downtime, an open breaker) stay
		// QUEUED, unclaimed: nothing is counted against them.
		err := q.SelectContext(ctx, &due, `
			SELECT p.id, p.provider, EXISTS (SELECT 1 FROM provider_state ps WHERE ps.provider = p.provider
				AND ps.breaker_retry_at IS NOT NULL) AS half_open, p.submit_attempts > p.submit_recorded_attempt AS unrecorded
			FROM payouts p
			WHERE p.status = 'QUEUED' AND p.submitted_at IS NULL AND (p.next_submit_at IS NULL OR p.next_submit_at <= now())
				AND p.provider <> ALL($2)`+notPausedSQL+notOfEndedDrillSQL+`
			ORDER BY p.next_submit_at NULLS FIRST, p.id LIMIT $1 FOR UPDATE OF p SKIP LOCKED`, limit, textArray(skip))
		if err != nil {
			return fmt.Errorf("store: claim payouts: %w", err)
		}
		by := Actor{Name: Submitter}
		for _, d := range due {
			id := d.ID
			// A breaker past its retry time lets one payout through, the
			// probe; the others wait for its answer.
			probe := false
			if d.HalfOpen {
				ok, err := takeProbe(ctx, q, d.Provider, lease)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				probe = true
			}
			if d.Unrecorded {
				if err := markUnrecorded(ctx, q, id); err != nil {
					return err
				}
			}
			in, err := gateInput(ctx, q, id, 0)
			if err != nil {
				return err
			}
			evals := policy.Evaluate(in)
			evalIDs, err := recordEvaluations(ctx, q, id, evals, "submit", Submitter, nil)
			if err != nil {
				return err
			}
			if failed := payout.Failures(evals); len(failed) > 0 {
				if err := holdPayout(ctx, q, id, payout.Queued, failed, evalIDs, by, nil); err != nil {
					return err
				}
				if probe {
					// Held, it probes nothing: the next payout may, at the
					// next run, instead of the breaker waiting out the lease.
					if _, err := q.ExecContext(ctx, `UPDATE provider_state SET probe_until = NULL WHERE provider = $1`,
						d.Provider); err != nil {
						return fmt.Errorf("store: provider %s probe: %w", d.Provider, err)
					}
				}
				continue
			}
			var sub Submission
			err = q.GetContext(ctx, &sub, `
				UPDATE payouts p SET submit_attempts = submit_attempts + 1, next_submit_at = now() + $2 * interval '1 second'
				FROM beneficiaries b WHERE p.id = $1 AND b.id = p.beneficiary_id
				RETURNING p.id, p.reference_id, p.provider, p.amount_minor, p.currency, p.mode, p.narration, p.submit_attempts,
					b.name, b.account_number, b.ifsc, b.bank_code, b.bank_name`, id, lease.Seconds())
			if err != nil {
				return fmt.Errorf("store: claim payout %d: %w", id, err)
			}
			out = append(out, sub)
		}
		return nil
	})
	return out, err
}

// notOfEndedDrillSQL is the claim's condition that a drill payout
// (DRILL<run>-NNNNN) is not of a drill that ended (passed, failed or
// interrupted): one left QUEUED would go to the next drill's sandbox and
// count in its report. A drill without a run (make drill's supervisor) is
// not held back. payouts must be aliased p.
const notOfEndedDrillSQL = `
	AND (p.provider <> '` + payout.DrillProvider + `' OR NOT EXISTS (SELECT 1 FROM drill_runs r WHERE r.state <> 'running'
		AND r.id = substring(p.reference_id from '^DRILL([0-9]{1,18})-')::bigint))`

// markUnrecorded marks payout id's submission outcome unknown, in the claim
// that found an attempt whose worker recorded nothing (it stopped mid-call,
// or could not write the answer): the provider may have the payout, so a
// hold placed from now on can be released but not rejected. Its timeline
// says so.
func markUnrecorded(ctx context.Context, q Querier, id int64) error {
	var cur struct {
		Status  payout.Status `db:"status"`
		Attempt int           `db:"submit_attempts"`
	}
	err := q.GetContext(ctx, &cur, `UPDATE payouts SET submit_outcome_unknown = true,
		submit_recorded_attempt = submit_attempts WHERE id = $1 RETURNING status, submit_attempts`, id)
	if err != nil {
		return fmt.Errorf("store: payout %d's unrecorded attempt: %w", id, err)
	}
	obs := payout.Observation{Source: payout.SourceSystem, Actor: Submitter}
	return insertEvent(ctx, q, id, obs, cur.Status, "error", fmt.Sprintf("attempt %d's outcome was never recorded "+
		"(its worker stopped mid-call, or could not record the answer): the provider may have the payout", cur.Attempt), nil)
}

// RecordSubmitted records the provider's answer to a submission: the payout
// is marked sent and the answer (its provider id and status) applied through
// the one apply function.
func (s *Store) RecordSubmitted(ctx context.Context, id int64, obs payout.Observation) (Applied, error) {
	var res Applied
	err := s.WithTx(ctx, func(q Querier) error {
		_, err := q.ExecContext(ctx, `UPDATE payouts SET submitted_at = coalesce(submitted_at, now()), last_submit_error = '',
			submit_outcome_unknown = false, submit_recorded_attempt = submit_attempts WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("store: submitted payout %d: %w", id, err)
		}
		res, err = apply(ctx, q, id, obs, nil)
		return err
	})
	return res, err
}

// SubmitFailure is a failed submission and what to do about it: retry at
// RetryAt, or hold the payout for Hold with Detail as evidence.
type SubmitFailure struct {
	Attempt int // the claim's attempt number: a failure of an older claim only goes on the timeline
	Detail  string
	RetryAt time.Time
	Hold    payout.Reason // "" to retry
	// Uncertain is set when the provider may have the payout all the same
	// (a timeout, a 5xx): it may then be released but never rejected, and
	// stays so through later attempts until the provider answers about it.
	Uncertain bool
	// Evaluation is the gate's record when the hold is a gate's (the
	// provider's insufficient-funds answer).
	Evaluation *payout.Evaluation
}

// RecordSubmitFailure records a failed submission on the payout's
// timeline, then schedules the retry or places the hold.
func (s *Store) RecordSubmitFailure(ctx context.Context, id int64, f SubmitFailure) error {
	f.Detail = payout.StorableText(f.Detail)
	return s.WithTx(ctx, func(q Querier) error {
		var cur struct {
			Status    payout.Status `db:"status"`
			Submitted bool          `db:"submitted"`
			Attempts  int           `db:"submit_attempts"`
		}
		err := q.GetContext(ctx, &cur, `SELECT status, submitted_at IS NOT NULL AS submitted, submit_attempts
			FROM payouts WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("store: submit failure of payout %d: %w", id, mapErr(err))
		}
		status := cur.Status
		obs := payout.Observation{Source: payout.SourceSystem, Actor: Submitter}
		if err := insertEvent(ctx, q, id, obs, status, "error", "submit failed: "+f.Detail, nil); err != nil {
			return err
		}
		if status != payout.Queued || cur.Submitted || cur.Attempts != f.Attempt {
			return nil // another claim or a provider's answer moved it meanwhile
		}
		if f.Hold == "" {
			// Once uncertain, uncertain until the provider answers about
			// the payout: a later attempt's clear refusal does not prove
			// the earlier one never reached it.
			_, err := q.ExecContext(ctx, `UPDATE payouts SET last_submit_error = $2, next_submit_at = $3,
				submit_outcome_unknown = submit_outcome_unknown OR $4, submit_recorded_attempt = submit_attempts WHERE id = $1`,
				id, f.Detail, f.RetryAt, f.Uncertain)
			if err != nil {
				return fmt.Errorf("store: retry payout %d: %w", id, err)
			}
			return nil
		}
		if _, err := q.ExecContext(ctx, `UPDATE payouts SET last_submit_error = $2,
			submit_outcome_unknown = submit_outcome_unknown OR $3, submit_recorded_attempt = submit_attempts WHERE id = $1`,
			id, f.Detail, f.Uncertain); err != nil {
			return fmt.Errorf("store: hold payout %d: %w", id, err)
		}
		by := Actor{Name: Submitter}
		if f.Evaluation != nil {
			evalIDs, err := recordEvaluations(ctx, q, id, []payout.Evaluation{*f.Evaluation}, "submit", Submitter, nil)
			if err != nil {
				return err
			}
			return holdPayout(ctx, q, id, status, []payout.Evaluation{*f.Evaluation}, evalIDs, by, nil)
		}
		if _, err := placeHold(ctx, q, id, f.Hold, f.Detail, nil, "provider", by, nil); err != nil {
			return err
		}
		return setStatus(ctx, q, id, status, payout.Held, payout.SourceSystem, Submitter, "held: "+string(f.Hold))
	})
}
