package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// DeliveryLog is one event's delivery to an endpoint with every attempt,
// newest attempt first.
type DeliveryLog struct {
	ID            int64      `db:"id"`
	WebhookID     string     `db:"webhook_id"`
	Type          string     `db:"type"`
	PayoutRef     *string    `db:"payout_ref"`
	State         string     `db:"state"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	CreatedAt     time.Time  `db:"created_at"`
	DoneAt        *time.Time `db:"done_at"`
	LastError     string     `db:"last_error"` // why it failed, once given up
	// Behind: pending behind an earlier pending event of its payout to the
	// same endpoint, which goes first (in order per payout).
	Behind bool `db:"behind"`
	Tries  []AttemptLog
}

// AttemptLog is one recorded attempt.
type AttemptLog struct {
	ID          int64     `db:"id"`
	DeliveryID  int64     `db:"delivery_id"`
	AttemptedAt time.Time `db:"attempted_at"`
	HTTPStatus  *int      `db:"http_status"`
	LatencyMS   int       `db:"latency_ms"`
	Response    string    `db:"response"`
	Error       string    `db:"error"`
}

// DeliveriesOf returns an endpoint's latest deliveries, newest first, at
// most limit, each with its attempts.
func (s *Store) DeliveriesOf(ctx context.Context, endpointID int64, limit int) ([]DeliveryLog, error) {
	var out []DeliveryLog
	err := s.db.SelectContext(ctx, &out, `
		SELECT d.id, ev.webhook_id, ev.type, p.reference_id AS payout_ref, d.state, d.attempts, d.next_attempt_at,
			d.created_at, d.done_at, d.last_error,
			d.state = 'pending' AND EXISTS (SELECT 1 FROM outbound_deliveries o WHERE o.endpoint_id = d.endpoint_id
				AND o.payout_id = d.payout_id AND o.state = 'pending' AND o.event_id < d.event_id) AS behind
		FROM outbound_deliveries d JOIN outbound_events ev ON ev.id = d.event_id
		LEFT JOIN payouts p ON p.id = ev.payout_id
		WHERE d.endpoint_id = $1 ORDER BY d.event_id DESC LIMIT $2`, endpointID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of endpoint %d: %w", endpointID, err)
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	at := map[int64]int{}
	for i, d := range out {
		ids[i], at[d.ID] = d.ID, i
	}
	var tries []AttemptLog
	err = s.db.SelectContext(ctx, &tries, `SELECT id, delivery_id, attempted_at, http_status, latency_ms, response, error
		FROM outbound_attempts WHERE delivery_id = ANY ($1) ORDER BY id DESC`, pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("store: attempts of endpoint %d: %w", endpointID, err)
	}
	for _, t := range tries {
		out[at[t.DeliveryID]].Tries = append(out[at[t.DeliveryID]].Tries, t)
	}
	return out, nil
}

// Redeliver makes a delivery due now again, whatever became of it, with a
// fresh retry schedule: a new attempt with the same webhook-id. It returns
// the delivery's endpoint id. Audited; ErrNotFound for no such delivery.
func (s *Store) Redeliver(ctx context.Context, deliveryID int64, by Actor) (int64, error) {
	var row struct {
		EndpointID int64  `db:"endpoint_id"`
		WebhookID  string `db:"webhook_id"`
	}
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &row, `
			UPDATE outbound_deliveries d SET state = 'pending', attempts = 0, next_attempt_at = now(), done_at = NULL
			FROM outbound_events ev WHERE ev.id = d.event_id AND d.id = $1
			RETURNING d.endpoint_id, ev.webhook_id`, deliveryID)
		if err != nil {
			return fmt.Errorf("store: redeliver %d: %w", deliveryID, mapErr(err))
		}
		return audit(ctx, q, by.Name, "webhook_delivery.redeliver", "webhook_endpoint", fmt.Sprint(row.EndpointID),
			map[string]any{"delivery": deliveryID, "webhook_id": row.WebhookID})
	})
	return row.EndpointID, err
}

// OutboxBacklog is what the outbox holds undelivered.
type OutboxBacklog struct {
	Pending int        `db:"pending"` // deliveries pending to enabled endpoints
	Oldest  *time.Time `db:"oldest"`  // when the oldest of those was written; nil for none
	Parked  int        `db:"parked"`  // deliveries waiting for a disabled endpoint to be enabled again
}

// Backlog returns the outbox backlog, for metrics and alerts: pending
// deliveries to enabled live endpoints and the oldest one's age (a disabled
// endpoint's wait on purpose, apart; a test endpoint's left out, as test
// payouts are of every live gauge). It reads the pending deliveries only
// (through their partial index): cheap while the platform keeps up.
func (s *Store) Backlog(ctx context.Context) (OutboxBacklog, error) {
	var b OutboxBacklog
	err := s.db.GetContext(ctx, &b, `
		SELECT count(*) FILTER (WHERE e.disabled_at IS NULL) AS pending,
			min(d.created_at) FILTER (WHERE e.disabled_at IS NULL) AS oldest,
			count(*) FILTER (WHERE e.disabled_at IS NOT NULL) AS parked
		FROM outbound_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.state = 'pending' AND e.livemode`)
	if err != nil {
		return OutboxBacklog{}, fmt.Errorf("store: outbox backlog: %w", err)
	}
	return b, nil
}

// OutboundEventRef is an outbound event about a payout, for checking what
// a receiver got (make drill).
type OutboundEventRef struct {
	WebhookID string `db:"webhook_id"`
	Type      string `db:"type"`
	Ref       string `db:"reference_id"`
}

// OutboundOfPayouts returns the events committed for endpoint endpointID
// about the payouts whose reference starts with prefix, oldest first, and
// those payouts' statuses now by reference.
func (s *Store) OutboundOfPayouts(ctx context.Context, endpointID int64, prefix string) ([]OutboundEventRef,
	map[string]string, error) {
	var events []OutboundEventRef
	err := s.db.SelectContext(ctx, &events, `
		SELECT ev.webhook_id, ev.type, p.reference_id
		FROM outbound_deliveries d JOIN outbound_events ev ON ev.id = d.event_id JOIN payouts p ON p.id = ev.payout_id
		WHERE d.endpoint_id = $1 AND starts_with(p.reference_id, $2) ORDER BY ev.id`, endpointID, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("store: outbound events of %s*: %w", prefix, err)
	}
	var rows []struct {
		Ref    string `db:"reference_id"`
		Status string `db:"status"`
	}
	err = s.db.SelectContext(ctx, &rows, `SELECT reference_id, status FROM payouts
		WHERE starts_with(reference_id, $1) AND NOT livemode`, prefix) // a drill's: test payouts
	if err != nil {
		return nil, nil, fmt.Errorf("store: payouts %s*: %w", prefix, err)
	}
	statuses := make(map[string]string, len(rows))
	for _, r := range rows {
		statuses[r.Ref] = r.Status
	}
	return events, statuses, nil
}

// PruneOutbound deletes the outbound events created before before whose
// every delivery is done (delivered or given up), with their deliveries and
// attempts, at most batch events a statement until none is left, and
// returns how many events went. An event with a delivery still pending is
// kept, however old, for an endpoint that is enabled: a platform is owed it.
// One parked on a disabled endpoint since before is given up first (failed,
// saying so): an endpoint disabled and forgotten would otherwise keep an
// event of every payout change for ever, and get months of them at once if
// enabled again. The delivery log and redelivery then reach back as far as
// before.
//
// The candidates' deliveries are locked and read again (FOR UPDATE reads
// the row as committed last): a delivery an admin redelivered (set pending
// again, Redeliver) while the statement ran keeps its event. No delivery is
// ever added to an existing event.
func (s *Store) PruneOutbound(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch < 1 {
		return 0, fmt.Errorf("store: prune outbound webhooks: batch %d, want at least 1", batch)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE outbound_deliveries d SET state = 'failed', done_at = now(),
			last_error = 'given up: its endpoint was disabled for as long as events are kept'
		FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.disabled_at IS NOT NULL
			AND d.state = 'pending' AND d.created_at < $1`, before); err != nil {
		return 0, fmt.Errorf("store: prune outbound webhooks: give up parked deliveries: %w", err)
	}
	pruned := 0
	for {
		res, err := s.db.ExecContext(ctx, `
			WITH candidates AS (SELECT e.id FROM outbound_events e
					WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM outbound_deliveries d
						WHERE d.event_id = e.id AND d.state = 'pending')
					ORDER BY e.id LIMIT $2),
				d AS (SELECT d.id, d.event_id, d.state FROM outbound_deliveries d
					WHERE d.event_id IN (SELECT id FROM candidates) FOR UPDATE),
				ev AS (SELECT c.id FROM candidates c
					WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.event_id = c.id AND d.state = 'pending')),
				gone AS (SELECT d.id FROM d WHERE d.event_id IN (SELECT id FROM ev)),
				a AS (DELETE FROM outbound_attempts WHERE delivery_id IN (SELECT id FROM gone)),
				dd AS (DELETE FROM outbound_deliveries WHERE id IN (SELECT id FROM gone))
			DELETE FROM outbound_events WHERE id IN (SELECT id FROM ev)`, before, batch)
		if err != nil {
			return pruned, fmt.Errorf("store: prune outbound webhooks: %w", err)
		}
		n, _ := res.RowsAffected()
		pruned += int(n)
		if int(n) < batch {
			return pruned, nil
		}
	}
}
