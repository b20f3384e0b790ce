package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"payops/payout"
)

// onOpenHold runs fn in one transaction with the open hold holdID and its
// payout locked, and returns the hold as it was before fn.
func (s *Store) onOpenHold(ctx context.Context, holdID int64, fn func(q Querier, h Hold) error) (Hold, error) {
	var h Hold
	err := s.WithTx(ctx, func(q Querier) error {
		var err error
		if h, err = lockHold(ctx, q, holdID); err != nil {
			return err
		}
		return fn(q, h)
	})
	return h, err
}

// lockHold locks an open hold and its payout in q's transaction.
func lockHold(ctx context.Context, q Querier, holdID int64) (Hold, error) {
	var h Hold
	if err := q.GetContext(ctx, &h.PayoutID, `SELECT payout_id FROM holds WHERE id = $1`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", holdID, mapErr(err))
	}
	// Payout first, then hold: the order every writer of both takes.
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM payouts WHERE id = $1 FOR UPDATE`, h.PayoutID); err != nil {
		return Hold{}, fmt.Errorf("store: lock payout of hold %d: %w", holdID, err)
	}
	if _, err := q.ExecContext(ctx, `SELECT 1 FROM holds WHERE id = $1 FOR UPDATE`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: lock hold %d: %w", holdID, err)
	}
	if err := q.GetContext(ctx, &h, holdSelect+`WHERE h.id = $1`, holdID); err != nil {
		return Hold{}, fmt.Errorf("store: hold %d: %w", holdID, mapErr(err))
	}
	if !h.Open() {
		return Hold{}, Refused("hold #%d on %s is already %s", holdID, h.ReferenceID, h.State)
	}
	return h, nil
}

// Released is what releasing a hold did.
type Released struct {
	Hold   Hold
	Queued bool // the payout had no other open hold and goes to the submission queue
	// AtProvider is set with Queued when the provider has the payout already
	// (it answered about it while held): nothing is sent again, its answer
	// decides (the reconciler's next look, or Re-check).
	AtProvider bool
	Answer     string // when refused by a gate, its answer
	// Approved is set when the release was an approval that is not the last
	// one its launch document's approval rule asks for: the hold stays open
	// for the next approver. Approvals counts those given, of Needed.
	Approved          bool
	Approvals, Needed int
}

// ReleaseHold releases an open hold for a compliance user, four-eyes
// (payout.FourEyes): not a user who placed it or added to its evidence.
// The gates are evaluated again and recorded; a release whose own gate still fails, or
// that would leave a failing gate without a hold, is refused with the gate's
// answer (ErrRefused), and only the evaluations are kept. When no other hold
// is open the payout goes back to QUEUED for the submission worker.
//
// The payout's launch document adds two rules (payout.MarketLaunch): a hold
// whose reason needs unblock evidence is refused until a person attached
// some, and a review hold on an amount under an approval rule needing two
// approvals is released by the second, a different person's: the first is
// recorded as an approval and the hold stays open (Released.Approved).
//
// shown is what the decider's page showed of the hold
// (decidedOnWhatWasShown), or AnyShown.
func (s *Store) ReleaseHold(ctx context.Context, holdID int64, by Actor, note string, policy payout.Policy,
	shown Shown) (Released, error) {
	return s.releaseHold(ctx, holdID, by, note, policy, false, shown)
}

// ReleaseHoldInBulk is ReleaseHold from the holds queue's bulk action: an
// approval whose rule does not allow bulk approval is refused there. shown
// is what the queue showed of the hold (its row carries it).
func (s *Store) ReleaseHoldInBulk(ctx context.Context, holdID int64, by Actor, note string, policy payout.Policy,
	shown Shown) (Released, error) {
	return s.releaseHold(ctx, holdID, by, note, policy, true, shown)
}

func (s *Store) releaseHold(ctx context.Context, holdID int64, by Actor, note string, policy payout.Policy, bulk bool,
	shown Shown) (Released, error) {
	var res Released
	var refusedErr error
	err := s.WithTx(ctx, func(q Querier) error {
		h, err := lockHold(ctx, q, holdID)
		if err != nil {
			return err
		}
		// Four-eyes first: one who may not release it at all is told so,
		// not to read the page again.
		if err := decidesYet(ctx, q, by); err != nil {
			return err
		}
		if why := payout.FourEyes(by.UserID, h.Hands()); why != "" {
			return &refusal{kind: ErrFourEyes, msg: fmt.Sprintf("hold #%d: %s; another compliance user must release it", holdID, why)}
		}
		if err := decidedOnWhatWasShown(ctx, q, holdID, by, shown); err != nil {
			return err
		}
		in, err := gateInput(ctx, q, h.PayoutID, holdID)
		if err != nil {
			return err
		}
		var attached int
		if err := q.GetContext(ctx, &attached, `SELECT count(*) FROM hold_evidence WHERE hold_id = $1
			AND added_by_user_id IS NOT NULL`, holdID); err != nil {
			return fmt.Errorf("store: evidence of hold %d: %w", holdID, err)
		}
		if why := in.Launch.UnblockRefusal(h.Reason, attached); why != "" {
			return Refused("release refused: %s", why)
		}
		ap, err := nextApproval(ctx, q, h, in.Launch, by, bulk)
		if err != nil {
			return err
		}
		if ap.needed > 0 && !ap.step.Final {
			res = Released{Hold: h, Approved: true, Approvals: ap.given + 1, Needed: ap.needed}
			return recordApproval(ctx, q, h, ap, by, note)
		}
		evals := policy.Evaluate(in)
		if _, err := recordEvaluations(ctx, q, h.PayoutID, evals, "release", by.Name, nil); err != nil {
			return err
		}
		var open []payout.Reason
		if err := q.SelectContext(ctx, &open, `SELECT reason FROM holds WHERE payout_id = $1 AND state = 'open' AND id <> $2`, h.PayoutID, holdID); err != nil {
			return fmt.Errorf("store: holds of payout %d: %w", h.PayoutID, err)
		}
		for _, f := range payout.Failures(evals) {
			covered := false
			for _, r := range open {
				covered = covered || (r == f.Gate && f.Gate != h.Reason)
			}
			if !covered {
				res = Released{Hold: h, Answer: f.Answer}
				refusedErr = Refused("release refused: %s", f.Answer)
				return audit(ctx, q, by.Name, "hold.release_refused", "payout", h.entity(),
					map[string]any{"hold": holdID, "gate": f.Gate, "answer": f.Answer, "note": note})
			}
		}
		if ap.needed > 0 {
			if err := recordApproval(ctx, q, h, ap, by, note); err != nil {
				return err
			}
			res.Approvals, res.Needed = min(ap.given+1, ap.needed), ap.needed
		}
		if err := decideHold(ctx, q, holdID, "released", by, note); err != nil {
			return err
		}
		details := map[string]any{"hold": holdID, "reason": h.Reason, "note": note}
		if ap.needed > 0 && ap.given < ap.needed {
			details["approval"], details["of"] = ap.given+1, ap.needed
		}
		if err := audit(ctx, q, by.Name, "hold.release", "payout", h.entity(), details); err != nil {
			return err
		}
		res.Hold, res.Queued = h, len(open) == 0
		if !res.Queued {
			// The payout stays HELD but its holds changed, which its JSON
			// shows.
			if err := touchPayout(ctx, q, h.PayoutID); err != nil {
				return err
			}
			return outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldReleased)
		}
		// Back to the queue, with a fresh count of attempts: the release
		// answers whatever stopped the last ones.
		if err := q.GetContext(ctx, &res.AtProvider, `UPDATE payouts SET next_submit_at = now(), submit_attempts = 0,
			submit_recorded_attempt = 0, last_submit_error = '' WHERE id = $1 RETURNING submitted_at IS NOT NULL`,
			h.PayoutID); err != nil {
			return fmt.Errorf("store: queue payout %d: %w", h.PayoutID, err)
		}
		if err := setStatus(ctx, q, h.PayoutID, payout.Held, payout.Queued, payout.SourceManual, by.Name,
			fmt.Sprintf("released by %s: %s", by.Name, note)); err != nil {
			return err
		}
		return outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldReleased)
	})
	if err != nil {
		return Released{}, err
	}
	return res, refusedErr
}

func decideHold(ctx context.Context, q Querier, holdID int64, state string, by Actor, note string) error {
	_, err := q.ExecContext(ctx, `
		UPDATE holds SET state = $2, decided_by = $3, decided_by_user_id = $4, decided_at = now(), decision_note = $5
		WHERE id = $1`, holdID, state, by.Name, by.userID(), note)
	if err != nil {
		return fmt.Errorf("store: %s hold %d: %w", state, holdID, err)
	}
	return nil
}

// RejectHold rejects a hold for a compliance user: the payout becomes
// CANCELLED, nothing is sent, and its other open holds close with it. A
// payout the provider has (it answered about it) or may have (a submission
// got no clear answer) is refused: CANCELLED would tell the platform no
// money went while the provider may pay it.
//
// shown is as ReleaseHold's.
func (s *Store) RejectHold(ctx context.Context, holdID int64, by Actor, note string, shown Shown) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		if err := decidesYet(ctx, q, by); err != nil {
			return err
		}
		if err := decidedOnWhatWasShown(ctx, q, holdID, by, shown); err != nil {
			return err
		}
		var p struct {
			Unknown   bool `db:"submit_outcome_unknown"`
			Submitted bool `db:"submitted"`
		}
		if err := q.GetContext(ctx, &p, `SELECT submit_outcome_unknown, submitted_at IS NOT NULL AS submitted
			FROM payouts WHERE id = $1`, h.PayoutID); err != nil {
			return fmt.Errorf("store: payout of hold %d: %w", holdID, err)
		}
		if p.Submitted {
			return Refused("%s has the payout: it answered about it, so rejecting here cannot stop it. Release it and let "+
				"the provider's answer decide, or have the provider cancel it first", h.Provider)
		}
		if p.Unknown {
			return Refused("%s may have the payout: a submission got no clear answer. Release it instead (resending "+
				"under the same reference cannot pay twice) and let the provider's answer decide", h.Provider)
		}
		if err := decideHold(ctx, q, holdID, "rejected", by, note); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, `
			UPDATE holds SET state = 'rejected', decided_by = $3, decided_by_user_id = $4, decided_at = now(), decision_note = $5
			WHERE payout_id = $1 AND state = 'open' AND id <> $2`,
			h.PayoutID, holdID, by.Name, by.userID(), fmt.Sprintf("payout rejected through hold #%d", holdID))
		if err != nil {
			return fmt.Errorf("store: close holds of payout %d: %w", h.PayoutID, err)
		}
		if err := audit(ctx, q, by.Name, "hold.reject", "payout", h.entity(),
			map[string]any{"hold": holdID, "reason": h.Reason, "note": note}); err != nil {
			return err
		}
		if err := outboxPayoutEvent(ctx, q, h.PayoutID, payout.EventHoldRejected); err != nil {
			return err
		}
		return setStatus(ctx, q, h.PayoutID, h.PayoutStatus, payout.Cancelled, payout.SourceManual, by.Name,
			fmt.Sprintf("rejected by %s: %s", by.Name, note))
	})
}

// ReassignHold gives an open hold to another active user.
func (s *Store) ReassignHold(ctx context.Context, holdID, ownerID int64, by Actor, note string) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		var o struct {
			Name string      `db:"name"`
			Role payout.Role `db:"role"`
		}
		err := q.GetContext(ctx, &o, `SELECT name, role FROM users WHERE id = $1 AND disabled_at IS NULL`, ownerID)
		if errors.Is(err, errNoRows) {
			return Refused("there is no active user #%d to give hold #%d to", ownerID, holdID)
		}
		if err != nil {
			return fmt.Errorf("store: owner %d: %w", ownerID, err)
		}
		if err := ownersOfHolds.refuseOwner(o.Name, o.Role); err != nil {
			return err
		}
		owner := o.Name
		if _, err := q.ExecContext(ctx, `UPDATE holds SET owner_id = $2 WHERE id = $1`, holdID, ownerID); err != nil {
			return fmt.Errorf("store: reassign hold %d: %w", holdID, err)
		}
		return audit(ctx, q, by.Name, "hold.reassign", "payout", h.entity(),
			map[string]any{"hold": holdID, "from": h.OwnerName, "to": owner, "note": note})
	})
}

// EscalateHold gives an open hold to its reason's next owner and marks it
// escalated.
func (s *Store) EscalateHold(ctx context.Context, holdID int64, by Actor, note string) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		var next struct {
			ID   *int64  `db:"next_owner_id"`
			Name *string `db:"name"`
		}
		err := q.GetContext(ctx, &next, `SELECT u.id AS next_owner_id, u.name FROM hold_reasons r
			LEFT JOIN users u ON u.id = r.next_owner_id AND u.disabled_at IS NULL AND `+mayWorkHolds+`
			WHERE r.reason = $1`, h.Reason)
		if err != nil {
			return fmt.Errorf("store: next owner of %s: %w", h.Reason, err)
		}
		if next.ID == nil {
			return Refused("no active escalation owner is set for %q holds: an admin sets one under Owners and SLAs", h.ReasonLabel)
		}
		if h.OwnerID != nil && *h.OwnerID == *next.ID {
			return Refused("hold #%d is already with the escalation owner, %s", holdID, *next.Name)
		}
		if _, err := q.ExecContext(ctx, `UPDATE holds SET owner_id = $2, escalated_at = coalesce(escalated_at, now()) WHERE id = $1`,
			holdID, *next.ID); err != nil {
			return fmt.Errorf("store: escalate hold %d: %w", holdID, err)
		}
		return audit(ctx, q, by.Name, "hold.escalate", "payout", h.entity(),
			map[string]any{"hold": holdID, "from": h.OwnerName, "to": *next.Name, "note": note})
	})
}

// AddEvidence adds a note or link to an open hold. A new tax artifact
// state, when given, updates the beneficiary's: the next release evaluates
// the tax gate on it.
func (s *Store) AddEvidence(ctx context.Context, holdID int64, by Actor, note, url string, tax payout.TaxArtifact) (Hold, error) {
	return s.onOpenHold(ctx, holdID, func(q Querier, h Hold) error {
		kind := "note"
		if url != "" {
			kind = "link"
		}
		if tax != "" {
			if h.Reason != payout.ReasonTax {
				return Refused("a tax artifact's state is recorded on the payout's tax hold, not on a %q hold", h.ReasonLabel)
			}
			kind = "tax_artifact"
			note = "tax artifact now " + strings.ReplaceAll(string(tax), "_", " ") + ": " + note
			_, err := q.ExecContext(ctx, `UPDATE beneficiaries SET tax_artifact = $2
				WHERE id = (SELECT beneficiary_id FROM payouts WHERE id = $1)`, h.PayoutID, tax)
			if err != nil {
				return fmt.Errorf("store: tax artifact of payout %d: %w", h.PayoutID, err)
			}
		}
		if err := addEvidence(ctx, q, holdID, kind, note, url, by, nil); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "hold.evidence", "payout", h.entity(),
			map[string]any{"hold": holdID, "kind": kind, "note": note, "url": url})
	})
}

// EscalateOverdue marks open holds past their SLA as escalated, gives them
// to their reason's next owner when one is set, and returns how many.
func (s *Store) EscalateOverdue(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.WithTx(ctx, func(q Querier) error {
		// Payouts first, in id order, then holds: the order every writer of
		// both takes, so this never deadlocks with a release or reject.
		_, err := q.ExecContext(ctx, `SELECT p.id FROM payouts p WHERE p.id IN (
				SELECT payout_id FROM holds WHERE state = 'open' AND escalated_at IS NULL AND sla_due_at < $1)
			ORDER BY p.id FOR UPDATE`, now)
		if err != nil {
			return fmt.Errorf("store: lock payouts of overdue holds: %w", err)
		}
		var rows []struct {
			ID     int64   `db:"id"`
			Entity string  `db:"entity"` // payoutEntity
			Owner  *string `db:"owner"`
		}
		err = q.SelectContext(ctx, &rows, `
			UPDATE holds h SET escalated_at = $1, owner_id = coalesce(
				(SELECT u.id FROM users u WHERE u.id = r.next_owner_id AND u.disabled_at IS NULL AND `+mayWorkHolds+`), h.owner_id)
			FROM hold_reasons r, payouts p
			WHERE r.reason = h.reason AND p.id = h.payout_id
				AND h.state = 'open' AND h.escalated_at IS NULL AND h.sla_due_at < $1
			RETURNING h.id, `+payoutEntitySQL+` AS entity, (SELECT u.name FROM users u WHERE u.id = h.owner_id) AS owner`, now)
		if err != nil {
			return fmt.Errorf("store: escalate overdue holds: %w", err)
		}
		for _, r := range rows {
			if err := audit(ctx, q, "sla-escalator", "hold.escalate", "payout", r.Entity,
				map[string]any{"hold": r.ID, "note": "past its SLA", "to": r.Owner}); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}
