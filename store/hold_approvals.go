package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// HoldApproval is one compliance approval given on a hold.
type HoldApproval struct {
	HoldID     int64     `db:"hold_id"`
	Seq        int       `db:"seq"`
	Needed     int       `db:"needed"`
	UserID     int64     `db:"user_id"`
	ApprovedBy string    `db:"approved_by"`
	Note       string    `db:"note"`
	ApprovedAt time.Time `db:"approved_at"`
}

// approval is what a release by a user would be under the hold's approval
// rule: needed 0 when no rule applies.
type approval struct {
	needed, given int
	step          payout.ApprovalStep
}

// nextApproval applies a review hold's approval rule (payout.NextApproval)
// to a release by by: refused (four-eyes) for a user who gave an earlier
// approval, and from a bulk action when the rule does not allow bulk.
func nextApproval(ctx context.Context, q Querier, h Hold, launch payout.MarketLaunch, by Actor, bulk bool) (approval, error) {
	if h.Reason != payout.ReasonReview || launch.ApprovalsNeeded(h.Amount()) == 0 {
		return approval{}, nil
	}
	ap := approval{needed: launch.ApprovalsNeeded(h.Amount())}
	if why := launch.Doc.BulkRefusal(h.Amount()); bulk && why != "" {
		return ap, Refused("%s", why)
	}
	var prior []payout.Approval
	if err := q.SelectContext(ctx, &prior, `SELECT user_id AS "userid", note AS "note" FROM hold_approvals
		WHERE hold_id = $1 ORDER BY seq`, h.ID); err != nil {
		return ap, fmt.Errorf("store: approvals of hold %d: %w", h.ID, err)
	}
	ap.given, ap.step = len(prior), payout.NextApproval(ap.needed, prior, by.UserID)
	if ap.step.Refused != "" {
		return ap, &refusal{kind: ErrFourEyes, msg: fmt.Sprintf("hold #%d: %s", h.ID, ap.step.Refused)}
	}
	return ap, nil
}

// recordApproval keeps an approval; one that is not the final one is
// audited as such (the final one is audited as the release).
func recordApproval(ctx context.Context, q Querier, h Hold, ap approval, by Actor, note string) error {
	if ap.given >= ap.needed {
		// The rule asks no more than was given (it was lowered since): this
		// is the release, audited as such, not another approval.
		return nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO hold_approvals (hold_id, seq, needed, user_id, approved_by, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, h.ID, ap.given+1, ap.needed, by.UserID, by.Name, note); err != nil {
		return fmt.Errorf("store: approve hold %d: %w", h.ID, mapErr(err))
	}
	if ap.step.Final {
		return nil
	}
	return audit(ctx, q, by.Name, "hold.approve", "payout", h.entity(),
		map[string]any{"hold": h.ID, "approval": ap.given + 1, "of": ap.needed, "note": note})
}

// ApprovalsFor returns the approvals given on a payout's holds, in order.
func (s *Store) ApprovalsFor(ctx context.Context, payoutID int64) ([]HoldApproval, error) {
	var out []HoldApproval
	err := s.db.SelectContext(ctx, &out, `SELECT a.hold_id, a.seq, a.needed, a.user_id, a.approved_by, a.note, a.approved_at
		FROM hold_approvals a JOIN holds h ON h.id = a.hold_id WHERE h.payout_id = $1 ORDER BY a.hold_id, a.seq`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: approvals of payout %d: %w", payoutID, err)
	}
	return out, nil
}
