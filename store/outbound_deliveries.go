package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// OutboundDelivery is one event to send to one endpoint, claimed by a
// delivery job: everything an attempt needs.
type OutboundDelivery struct {
	ID                  int64      `db:"id"`
	EndpointID          int64      `db:"endpoint_id"`
	Attempts            int        `db:"attempts"`
	WebhookID           string     `db:"webhook_id"`
	Type                string     `db:"type"`
	Body                string     `db:"body"`
	URL                 string     `db:"url"`
	Secret              string     `db:"secret"`
	PreviousSecret      *string    `db:"previous_secret"`
	PreviousSecretUntil *time.Time `db:"previous_secret_until"`
}

// Secrets returns the secrets that sign an attempt at now.
func (d OutboundDelivery) Secrets(now time.Time) []string {
	return payout.SigningSecrets(d.Secret, d.PreviousSecret, d.PreviousSecretUntil, now)
}

// ClaimDeliveries claims up to limit deliveries due at now to enabled
// endpoints, across instances (FOR UPDATE SKIP LOCKED), and leases them
// until now+lease: no other claim takes them meanwhile, and when the
// claimer dies they are due again when the lease ends (at least once). A
// payout's event is not claimed while an earlier event of the same payout
// to the same endpoint is pending: in order per payout. Bodies are built
// here, once per event, and kept, so every attempt sends the same bytes.
//
// Deliveries to the endpoints in skip (failing in the claimer's run) are
// left for a later run.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration,
	skip []int64) ([]OutboundDelivery, error) {
	for {
		out, gaveUp, err := s.claimDeliveries(ctx, now, limit, lease, skip)
		// A claim whose every delivery was given up is not the end of what
		// is due: claim again.
		if err != nil || len(out) > 0 || gaveUp == 0 {
			return out, err
		}
	}
}

// claimSQL selects up to $2 deliveries due at $1, oldest first, of enabled
// endpoints but those in $3, each the first pending of its payout for its
// endpoint, and locks them. Its plan must not depend on how many deliveries
// PostgreSQL thinks are pending (migration 00067): the due ones are read in
// the due index's order until the LIMIT, and the earlier-event question is
// a subquery (OFFSET 0 keeps it one, not a join) that only the order
// index can answer, by a probe.
const claimSQL = `
	SELECT d.id FROM outbound_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
	WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND e.disabled_at IS NULL AND d.endpoint_id <> ALL($3)
		AND NOT EXISTS (SELECT 1 FROM outbound_deliveries o WHERE o.endpoint_id = d.endpoint_id
			AND o.payout_id = d.payout_id AND o.state = 'pending' AND o.event_id < d.event_id OFFSET 0)
	ORDER BY d.next_attempt_at, d.id LIMIT $2
	FOR UPDATE OF d SKIP LOCKED`

// claimDeliveries is one claim of ClaimDeliveries, and how many of its
// deliveries it gave up (unrenderable events).
func (s *Store) claimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration,
	skip []int64) ([]OutboundDelivery, int, error) {
	var out []OutboundDelivery
	gaveUp := 0
	err := s.WithTx(ctx, func(q Querier) error {
		var ids []int64
		err := q.SelectContext(ctx, &ids, claimSQL, now, limit, pq.Int64Array(append([]int64{}, skip...)))
		if err != nil || len(ids) == 0 {
			return wrapNil(err, "store: claim deliveries: %w")
		}
		if _, err := q.ExecContext(ctx, `UPDATE outbound_deliveries SET next_attempt_at = $2 WHERE id = ANY ($1)`,
			pq.Int64Array(ids), now.Add(lease)); err != nil {
			return fmt.Errorf("store: lease deliveries: %w", err)
		}
		bad, err := renderBodies(ctx, q, ids)
		if err != nil {
			return err
		}
		if gaveUp, err = giveUpUnrenderable(ctx, q, ids, bad, now); err != nil {
			return err
		}
		err = q.SelectContext(ctx, &out, `
			SELECT d.id, d.endpoint_id, d.attempts, ev.webhook_id, ev.type, ev.body, e.url, e.secret, e.previous_secret,
				e.previous_secret_until
			FROM outbound_deliveries d JOIN outbound_events ev ON ev.id = d.event_id
			JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.id = ANY ($1) AND d.state = 'pending' ORDER BY d.id`, pq.Int64Array(ids))
		return wrapNil(err, "store: claimed deliveries: %w")
	})
	return out, gaveUp, err
}

// ReleaseDeliveries puts claimed deliveries back, due at now, without an
// attempt: their endpoint failed another one in the claimer's run.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE outbound_deliveries SET next_attempt_at = $2 WHERE id = ANY ($1) AND state = 'pending'`,
		pq.Int64Array(ids), now)
	return wrapNil(err, "store: release deliveries: %w")
}

func wrapNil(err error, format string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format, err)
}

// renderBodies builds the body of the deliveries' events that have none,
// and returns why, by event, those it could not build. One such event (a
// snapshot an older payops wrote that this one cannot read) must not stop
// every endpoint's deliveries: it is given up (giveUpUnrenderable), the
// others go.
func renderBodies(ctx context.Context, q Querier, deliveryIDs []int64) (map[int64]string, error) {
	var events []struct {
		ID        int64     `db:"id"`
		Type      string    `db:"type"`
		CreatedAt time.Time `db:"created_at"`
		Snapshot  []byte    `db:"snapshot"`
		Data      []byte    `db:"data"`
	}
	err := q.SelectContext(ctx, &events, `
		SELECT ev.id, ev.type, ev.created_at, ev.snapshot, ev.data FROM outbound_events ev
		WHERE ev.body IS NULL AND ev.id IN (SELECT event_id FROM outbound_deliveries WHERE id = ANY ($1))`,
		pq.Int64Array(deliveryIDs))
	if err != nil {
		return nil, fmt.Errorf("store: events to render: %w", err)
	}
	bad := map[int64]string{}
	for _, ev := range events {
		body, err := renderBody(ev.Type, ev.CreatedAt, ev.Snapshot, ev.Data)
		if err != nil {
			bad[ev.ID] = err.Error()
			continue
		}
		// Another claimer may have rendered it meanwhile: the first body stays.
		if _, err := q.ExecContext(ctx, `UPDATE outbound_events SET body = coalesce(body, $2) WHERE id = $1`,
			ev.ID, string(body)); err != nil {
			return nil, fmt.Errorf("store: event %d body: %w", ev.ID, err)
		}
	}
	return bad, nil
}

// giveUpUnrenderable gives up the claimed deliveries of the events payops
// could not build a body for, saying why in the endpoint's delivery log;
// the payout's later events then go in their turn.
func giveUpUnrenderable(ctx context.Context, q Querier, deliveryIDs []int64, bad map[int64]string, now time.Time) (int, error) {
	n := 0
	for id, why := range bad {
		res, err := q.ExecContext(ctx, `UPDATE outbound_deliveries SET state = 'failed', done_at = $3,
				last_error = 'given up: payops could not build this event''s body: ' || $4
			WHERE id = ANY ($1) AND event_id = $2 AND state = 'pending'`, pq.Int64Array(deliveryIDs), id, now, why)
		if err != nil {
			return n, fmt.Errorf("store: give up event %d: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// Attempt is the outcome of one attempt to deliver: Status 0 when no HTTP
// answer came (Error says why).
type Attempt struct {
	DeliveryID int64
	At         time.Time
	Status     int
	Latency    time.Duration
	Response   string // the answer's first 1 KiB
	Error      string
	Jitter     float64 // payout.Jitter's, for the next attempt's time
}

// Delivered reports whether the attempt delivered the event: a 2xx answer.
func (a Attempt) Delivered() bool { return a.Status >= 200 && a.Status < 300 }

// maxResponse is how much of an answer an attempt keeps.
const maxResponse = 1024

// RecordAttempt records an attempt and its consequence in one transaction:
// delivered; or due again by payout.NextAttempt; or given up when the
// schedule is spent. An endpoint failing for payout.EndpointFailingLimit is
// disabled (audited as webhook_endpoint.disabled): disabled returns its id,
// 0 otherwise, for whoever notifies its owner.
func (s *Store) RecordAttempt(ctx context.Context, a Attempt) (disabled int64, err error) {
	err = s.WithTx(ctx, func(q Querier) error {
		var d struct {
			Attempts   int    `db:"attempts"`
			EndpointID int64  `db:"endpoint_id"`
			State      string `db:"state"`
		}
		err := q.GetContext(ctx, &d, `SELECT attempts, endpoint_id, state FROM outbound_deliveries WHERE id = $1 FOR UPDATE`,
			a.DeliveryID)
		if err != nil {
			return fmt.Errorf("store: delivery %d: %w", a.DeliveryID, mapErr(err))
		}
		if err := insertAttempt(ctx, q, a); err != nil {
			return err
		}
		if a.Delivered() {
			return recordDelivered(ctx, q, a, d.EndpointID)
		}
		if d.State != "pending" {
			// Another worker's attempt ended it meanwhile (a Redeliver
			// pressed mid-attempt, a lease overrun): a failure arriving
			// after a delivery is the log's, not the delivery's state, nor
			// the endpoint's, which has just answered.
			return nil
		}
		var since time.Time
		err = q.GetContext(ctx, &since, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $2)
			WHERE id = $1 RETURNING failing_since`, d.EndpointID, a.At)
		if err != nil {
			return fmt.Errorf("store: endpoint %d failing: %w", d.EndpointID, err)
		}
		down := payout.EndpointFailing(&since, a.At)
		if down {
			if disabled, err = disableFailing(ctx, q, d.EndpointID); err != nil {
				return err
			}
		}
		state, next := "pending", a.At
		at, ok := payout.NextAttempt(d.Attempts+1, a.At, a.Jitter)
		if ok {
			next = at
		}
		if payout.GiveUp(!ok, down) {
			state = "failed"
		}
		_, err = q.ExecContext(ctx, `UPDATE outbound_deliveries SET attempts = attempts + 1, state = $2, next_attempt_at = $3,
			last_status = $4, last_error = $5, done_at = CASE WHEN $2 = 'failed' THEN $6::timestamptz END WHERE id = $1`,
			a.DeliveryID, state, next, nullStatus(a.Status), a.Error, a.At)
		if err != nil {
			return fmt.Errorf("store: delivery %d failed: %w", a.DeliveryID, err)
		}
		return nil
	})
	return disabled, err
}

// failingReason is the disabled_reason of an endpoint the delivery job
// disabled for failing, as against one an admin disabled.
func failingReason() string {
	return fmt.Sprintf("failing for %d days", int(payout.EndpointFailingLimit.Hours()/24))
}

// disableFailing disables an endpoint that has failed for
// payout.EndpointFailingLimit, audited, and returns its id; 0 when it was
// disabled already (by a concurrent attempt, say: its owner is told once).
func disableFailing(ctx context.Context, q Querier, id int64) (int64, error) {
	reason := failingReason()
	tag, err := q.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2
		WHERE id = $1 AND disabled_at IS NULL`, id, reason)
	if err != nil {
		return 0, fmt.Errorf("store: disable failing endpoint %d: %w", id, err)
	}
	if n, _ := tag.RowsAffected(); n == 0 {
		return 0, nil
	}
	return id, audit(ctx, q, "outbound-webhooks", "webhook_endpoint.disabled", "webhook_endpoint", fmt.Sprint(id),
		map[string]any{"reason": reason})
}

func insertAttempt(ctx context.Context, q Querier, a Attempt) error {
	resp := a.Response
	if len(resp) > maxResponse {
		resp = resp[:maxResponse]
	}
	resp = payout.StorableText(resp)
	_, err := q.ExecContext(ctx, `INSERT INTO outbound_attempts (delivery_id, attempted_at, http_status, latency_ms,
		response, error) VALUES ($1, $2, $3, $4, $5, $6)`,
		a.DeliveryID, a.At, nullStatus(a.Status), a.Latency.Milliseconds(), resp, a.Error)
	if err != nil {
		return fmt.Errorf("store: attempt of delivery %d: %w", a.DeliveryID, err)
	}
	return nil
}

func recordDelivered(ctx context.Context, q Querier, a Attempt, endpointID int64) error {
	_, err := q.ExecContext(ctx, `UPDATE outbound_deliveries SET attempts = attempts + 1, state = 'delivered',
		last_status = $2, last_error = '', done_at = $3 WHERE id = $1`, a.DeliveryID, a.Status, a.At)
	if err != nil {
		return fmt.Errorf("store: delivery %d delivered: %w", a.DeliveryID, err)
	}
	_, err = q.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`,
		endpointID)
	if err != nil {
		return fmt.Errorf("store: endpoint %d answered: %w", endpointID, err)
	}
	return nil
}

func nullStatus(status int) *int {
	if status == 0 {
		return nil
	}
	return &status
}
