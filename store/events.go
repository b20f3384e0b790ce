package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// Event is one observation of a payout's status and what was done with it.
type Event struct {
	ID            int64         `db:"id"`
	Source        payout.Source `db:"source"`
	RawStatus     string        `db:"raw_status"`
	Status        string        `db:"status"`
	Previous      string        `db:"previous"`
	Decision      string        `db:"decision"` // a payout.Decision, or "error" when the provider could not be asked
	Detail        string        `db:"detail"`
	UTR           string        `db:"utr"`
	FailureCode   string        `db:"failure_code"`
	FailureReason string        `db:"failure_reason"`
	Actor         string        `db:"actor"`
	ObservedAt    time.Time     `db:"observed_at"`
	RecordedAt    time.Time     `db:"recorded_at"`
	DeliveryID    *int64        `db:"delivery_id"`
}

func insertEvent(ctx context.Context, q Querier, payoutID int64, obs payout.Observation, previous payout.Status, decision, detail string, deliveryID *int64) error {
	var r rows
	r.event(payoutID, obs, previous, decision, detail, deliveryID)
	if _, err := r.write(ctx, q); err != nil {
		return fmt.Errorf("store: event for payout %d: %w", payoutID, err)
	}
	return nil
}

// EventsFor returns a payout's events, oldest first.
func (s *Store) EventsFor(ctx context.Context, payoutID int64) ([]Event, error) {
	var out []Event
	err := selectFast(ctx, s.q(), &out, `
		SELECT id, source, raw_status, status, previous, decision, detail, utr, failure_code, failure_reason,
			actor, observed_at, recorded_at, delivery_id
		FROM payout_events WHERE payout_id = $1 ORDER BY id`, payoutID)
	if err != nil {
		return nil, fmt.Errorf("store: events for payout %d: %w", payoutID, err)
	}
	return out, nil
}
