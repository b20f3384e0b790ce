package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// RecordCheckFailure records that asking the provider about a payout failed,
// so the failure is part of the payout's history; the payout is not changed
// but its last check time is (not its last answer: see SettledPayouts). The
// reconciler's failed look after one that failed for the same reason moves
// only the last check time (payout.FailureRecorded). m is the payout's mode
// (see RefMode).
func (s *Store) RecordCheckFailure(ctx context.Context, ref string, m RefMode, source payout.Source, actor, detail string) error {
	detail = payout.StorableText(detail)
	return s.WithTx(ctx, func(q Querier) error {
		var p struct {
			ID       int64         `db:"id"`
			Status   payout.Status `db:"status"`
			Livemode bool          `db:"livemode"`
			// The look before this one failed too, for the same reason.
			SameAsLast bool `db:"same_as_last"`
		}
		err := q.GetContext(ctx, &p, `WITH before AS (
				SELECT id, last_checked_at > coalesce(last_answered_at, '-infinity') AS failed
				FROM payouts p`+byRef+` FOR UPDATE)
			UPDATE payouts p SET last_checked_at = now() FROM before b WHERE p.id = b.id
			RETURNING p.id, p.status, p.livemode, b.failed AND coalesce((SELECT e.detail = $4 FROM payout_events e
				WHERE e.payout_id = p.id AND e.decision = 'error' ORDER BY e.id DESC LIMIT 1), false) AS same_as_last`,
			append(refArgs(ref, m), detail)...)
		if err != nil {
			return fmt.Errorf("store: check failure for %s: %w", ref, mapErr(err))
		}
		if !payout.FailureRecorded(source, p.SameAsLast) {
			return nil
		}
		obs := payout.Observation{Source: source, Actor: actor, At: time.Now()}
		if err := insertEvent(ctx, q, p.ID, obs, p.Status, "error", detail, nil); err != nil {
			return err
		}
		return audit(ctx, q, actor, "payout.check_failed", "payout", payoutEntity(ref, p.Livemode), map[string]any{"source": source, "error": detail})
	})
}
