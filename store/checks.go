package store

import (
	"context"
	"fmt"
)

// PayoutChecked returns the payout with our reference id as the stuck list
// shows it: with when its provider last answered and, when its last check
// failed, why (LastCheckFailed); in mode m. ErrNotFound when there is none.
func (s *Store) PayoutChecked(ctx context.Context, ref string, m RefMode) (Payout, error) {
	var p Payout
	err := s.db.GetContext(ctx, &p, `SELECT `+payoutColumns+`, p.last_answered_at, `+checkFailed+
		payoutFrom+byRef, refArgs(ref, m)...)
	if err != nil {
		return Payout{}, fmt.Errorf("store: payout %s: %w", ref, mapErr(err))
	}
	one := []Payout{p}
	if err := s.whyChecksFailed(ctx, one); err != nil {
		return Payout{}, err
	}
	return one[0], nil
}

// LatestRecheck returns the payout's latest event from a Re-check pressed by
// someone (source manual), what it found or why the provider could not be
// asked; ErrNotFound when nobody has re-checked it.
func (s *Store) LatestRecheck(ctx context.Context, payoutID int64) (Event, error) {
	var e Event
	err := getFast(ctx, s.q(), &e, `
		SELECT id, source, raw_status, status, previous, decision, detail, utr, failure_code, failure_reason,
			actor, observed_at, recorded_at, delivery_id
		FROM payout_events WHERE payout_id = $1 AND source = 'manual' ORDER BY id DESC LIMIT 1`, payoutID)
	if err != nil {
		return Event{}, fmt.Errorf("store: latest re-check of payout %d: %w", payoutID, mapErr(err))
	}
	return e, nil
}
