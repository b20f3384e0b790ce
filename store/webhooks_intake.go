package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"
)

// firstDelivery is the first delivery of an event, and its payout.
type firstDelivery struct {
	DeliveryID int64  `db:"delivery_id"`
	PayoutID   *int64 `db:"payout_id"`
}

// intook is what intake found for one delivery.
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

// intakeSQL takes each delivery's id, finds and locks the payout its event
// is about (by the provider's payout id, else our reference — unless the
// payout has another provider payout id than the event names: a second
// payout at the provider under our reference is not ours to move, and stays
// an orphan for a person, the exceptions scan's orphan case) and reads what
// apply needs of it, and stores the event, linked to it, unless the
// provider's event id is known (ON CONFLICT): one statement for one
// delivery or a group, the events given as arrays ($1 ... $15), in order
// (each a subquery, arrayParams: batch.array says why).
// The payouts are locked in the order of their ids, so that two groups do
// not wait for each other's payouts in a circle (they still may over one
// event delivered twice at once: PostgreSQL's deadlock then fails one
// group, and its deliveries are taken in one at a time). Payouts and events are looked up
// by "= ANY (ARRAY(...))", an index condition in any plan: as a join, the
// plan PostgreSQL keeps for the prepared statement may scan a table that was
// small when it was planned (the events, in a new database) and has grown. The event keeps all the
// observation says, for an orphan applied when its payout appears. What a
// duplicate's first delivery was is read in the same snapshot.
var intakeSQL = `WITH r AS (SELECT * FROM unnest(` + arrayParams("text", "text", "text", "text", "text", "text",
	"text", "text", "text", "bigint", "timestamptz", "bigint", "text", "text", "boolean") + `)
		WITH ORDINALITY AS r(provider, event_id, ppid, ref, raw_status, status, utr, failure_code, failure_reason, fee_minor,
			observed_at, amount_minor, amount_currency, state_reason, pending_approval, n)),
	m AS (SELECT r.n, nextval('webhook_deliveries_id_seq') AS delivery_id,
		(SELECT id FROM payouts WHERE provider = r.provider AND r.ppid <> '' AND provider_payout_id = r.ppid
			UNION ALL
			SELECT id FROM payouts WHERE provider = r.provider AND r.ref <> '' AND reference_id = r.ref
				AND (provider_payout_id IS NULL OR r.ppid = '' OR provider_payout_id = r.ppid)
			LIMIT 1) AS payout_id
		FROM r ORDER BY r.n),
	p AS (SELECT ` + payoutNowColumns + ` FROM payouts WHERE id = ANY (ARRAY(SELECT payout_id FROM m)) ORDER BY id
		FOR UPDATE),
	e AS (INSERT INTO webhook_events (provider, event_id, delivery_id, payout_id, provider_payout_id, reference_id,
			raw_status, status, utr, failure_code, failure_reason, fee_minor, observed_at, amount_minor, amount_currency,
			state_reason, pending_approval)
		SELECT r.provider, r.event_id, m.delivery_id, p.id, r.ppid, r.ref, r.raw_status, r.status, r.utr, r.failure_code,
			r.failure_reason, r.fee_minor, r.observed_at, r.amount_minor, r.amount_currency, r.state_reason, r.pending_approval
		FROM r JOIN m ON m.n = r.n LEFT JOIN p ON p.id = m.payout_id ORDER BY r.n
		ON CONFLICT (provider, event_id) DO NOTHING RETURNING provider, event_id),
	f AS (SELECT w.provider, w.event_id, w.delivery_id, w.payout_id FROM webhook_events w
		WHERE w.event_id = ANY (ARRAY(SELECT event_id FROM r)) AND w.provider = ANY (ARRAY(SELECT provider FROM r)))
SELECT m.delivery_id, EXISTS (SELECT FROM e WHERE e.provider = r.provider AND e.event_id = r.event_id) AS new_event,
	f.delivery_id AS first_delivery_id, f.payout_id AS first_payout_id, p.id IS NOT NULL AS matched, coalesce(p.id, 0) AS id,
	coalesce(p.reference_id, '') AS reference_id, coalesce(p.provider, '') AS provider,
	coalesce(p.amount_minor, 0) AS amount_minor, coalesce(p.currency, '') AS currency, coalesce(p.status, '') AS status,
	p.provider_payout_id, coalesce(p.utr, '') AS utr, coalesce(p.failure_code, '') AS failure_code,
	coalesce(p.failure_reason, '') AS failure_reason, p.fee_minor, coalesce(p.livemode, false) AS livemode,
	coalesce(p.provider_state, '') AS provider_state, coalesce(p.provider_state_reason, '') AS provider_state_reason,
	coalesce(p.pending_approval, false) AS pending_approval, coalesce(p.created_at, 'epoch') AS created_at,
	coalesce(p.sent, false) AS sent
FROM r JOIN m ON m.n = r.n LEFT JOIN f ON f.provider = r.provider AND f.event_id = r.event_id
	LEFT JOIN p ON p.id = m.payout_id
ORDER BY r.n`

// intake runs intakeSQL for the deliveries reqs, and returns what it found
// for each, in their order.
func intake(ctx context.Context, q Querier, reqs []*ingestReq) ([]intook, error) {
	n := len(reqs)
	cols := make([][]string, 10) // provider ... failure reason; amount currency, state reason
	for i := range cols {
		cols[i] = make([]string, n)
	}
	fee, amount, currency := make([]sql.NullInt64, n), make([]sql.NullInt64, n), make([]sql.NullString, n)
	at, pending := make([]sql.NullTime, n), make([]bool, n)
	for i, r := range reqs {
		ev, o := r.ev, r.ev.Observation
		for c, v := range []string{r.d.Provider, ev.ID, ev.ProviderPayoutID, ev.ReferenceID, o.RawStatus, string(o.Status),
			o.UTR, o.FailureCode, o.FailureReason, o.StateReason} {
			cols[c][i] = v
		}
		if o.Fee != nil {
			fee[i] = sql.NullInt64{Int64: o.Fee.Minor, Valid: true}
		}
		if !o.At.IsZero() {
			at[i] = sql.NullTime{Time: o.At, Valid: true}
		}
		if a := o.Amount; a != nil {
			amount[i], currency[i] = sql.NullInt64{Int64: a.Minor, Valid: true}, sql.NullString{String: a.Currency, Valid: true}
		}
		pending[i] = o.PendingApproval
	}
	var out []intook
	err := selectFast(ctx, q, &out, intakeSQL, pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]),
		pq.Array(cols[4]), pq.Array(cols[5]), pq.Array(cols[6]), pq.Array(cols[7]), pq.Array(cols[8]), pq.Array(fee),
		pq.Array(at), pq.Array(amount), pq.Array(currency), pq.Array(cols[9]), pq.Array(pending))
	if err != nil {
		return nil, fmt.Errorf("store: take in webhook events: %w", err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("store: take in webhook events: %d found for %d", len(out), n)
	}
	return out, nil
}
