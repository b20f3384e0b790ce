package store

import (
	"context"
	"fmt"
	"time"
)

// firstDelivery is the first delivery of an event, and its payout.
type firstDelivery struct {
	DeliveryID int64  `db:"delivery_id"`
	PayoutID   *int64 `db:"payout_id"`
}

// intook is what intake found.
type intook struct {
	DeliveryID      int64  `db:"delivery_id"` // the id the delivery's row takes
	New             bool   `db:"new_event"`   // false: a duplicate
	FirstDeliveryID *int64 `db:"first_delivery_id"`
	FirstPayoutID   *int64 `db:"first_payout_id"`
	Matched         bool   `db:"matched"` // false: an orphan (for a new event)
	payoutNow
}

func (in intook) first() *firstDelivery {
	if in.FirstDeliveryID == nil {
		return nil
	}
	return &firstDelivery{DeliveryID: *in.FirstDeliveryID, PayoutID: in.FirstPayoutID}
}

// intakeSQL takes the delivery's id, finds and locks the payout the event is
// about (by the provider's payout id, else our reference — unless the payout
// has another provider payout id than the event names: a second payout at
// the provider under our reference is not ours to move, and stays an orphan
// for a person, the exceptions scan's orphan case) and reads what
// apply needs of it, and stores the event, linked to it, unless the
// provider's event id is known (ON CONFLICT): one statement. The event
// keeps all the observation says, for an orphan applied when its payout
// appears. What a duplicate's first delivery was is read in the same
// snapshot.
const intakeSQL = `WITH delivery AS (SELECT nextval('webhook_deliveries_id_seq') AS id),
	m AS (SELECT id FROM payouts WHERE provider = $1 AND $3 <> '' AND provider_payout_id = $3
		UNION ALL
		SELECT id FROM payouts WHERE provider = $1 AND $4 <> '' AND reference_id = $4
			AND (provider_payout_id IS NULL OR $3 = '' OR provider_payout_id = $3)
		LIMIT 1),
	p AS (SELECT ` + payoutNowColumns + ` FROM payouts WHERE id = (SELECT id FROM m) FOR UPDATE),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT $1, $2, delivery.id, (SELECT id FROM p), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15 FROM delivery
		ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1),
	f AS (SELECT delivery_id, payout_id FROM webhook_events WHERE provider = $1 AND event_id = $2)
SELECT delivery.id AS delivery_id, EXISTS (SELECT FROM e) AS new_event, f.delivery_id AS first_delivery_id,
	f.payout_id AS first_payout_id, p.id IS NOT NULL AS matched, coalesce(p.id, 0) AS id,
	coalesce(p.reference_id, '') AS reference_id, coalesce(p.provider, '') AS provider,
	coalesce(p.amount_minor, 0) AS amount_minor, coalesce(p.currency, '') AS currency, coalesce(p.status, '') AS status,
	p.provider_payout_id, coalesce(p.utr, '') AS utr, coalesce(p.failure_code, '') AS failure_code,
	coalesce(p.failure_reason, '') AS failure_reason, p.fee_minor, coalesce(p.livemode, false) AS livemode,
	coalesce(p.provider_state, '') AS provider_state, coalesce(p.provider_state_reason, '') AS provider_state_reason,
	coalesce(p.pending_approval, false) AS pending_approval, coalesce(p.created_at, 'epoch') AS created_at,
	coalesce(p.sent, false) AS sent
FROM delivery LEFT JOIN f ON true LEFT JOIN p ON true`

func intake(ctx context.Context, q Querier, provider string, ev WebhookEvent) (intook, error) {
	o := ev.Observation
	var fee *int64
	if o.Fee != nil {
		fee = &o.Fee.Minor
	}
	var obsAt *time.Time
	if !o.At.IsZero() {
		obsAt = &o.At
	}
	var amount *int64
	var currency *string
	if a := o.Amount; a != nil {
		amount, currency = &a.Minor, &a.Currency
	}
	var in intook
	err := getFast(ctx, q, &in, intakeSQL, provider, ev.ID, ev.ProviderPayoutID, ev.ReferenceID, o.RawStatus, o.Status,
		o.UTR, o.FailureCode, o.FailureReason, fee, obsAt, amount, currency, o.StateReason, o.PendingApproval)
	if err != nil {
		return intook{}, fmt.Errorf("store: take in %s event: %w", provider, err)
	}
	return in, nil
}
