package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"payops/payout"
)

// WebhookEndpoint is a platform URL that outbound events are delivered to.
// Its secrets are read by the delivery job only; pages never show them but
// once, when made.
type WebhookEndpoint struct {
	ID                  int64          `db:"id"`
	URL                 string         `db:"url"`
	Description         string         `db:"description"`
	Events              pq.StringArray `db:"events"` // empty: every type
	Secret              string         `db:"secret"`
	PreviousSecret      *string        `db:"previous_secret"`
	PreviousSecretUntil *time.Time     `db:"previous_secret_until"`
	CreatedBy           string         `db:"created_by"`
	CreatedAt           time.Time      `db:"created_at"`
	DisabledAt          *time.Time     `db:"disabled_at"`
	DisabledReason      string         `db:"disabled_reason"`
	FailingSince        *time.Time     `db:"failing_since"`
	// Livemode false makes it a test endpoint: it gets the events of test
	// payouts, and a live one those of live payouts, never the other's.
	Livemode bool `db:"livemode"`
	// Pending counts the endpoint's deliveries not yet delivered nor given up.
	Pending int `db:"pending"`
}

// Enabled reports whether events are delivered to the endpoint.
func (e WebhookEndpoint) Enabled() bool { return e.DisabledAt == nil }

const endpointSelect = `SELECT e.id, e.url, e.description, e.events, e.secret, e.previous_secret, e.previous_secret_until,
	e.created_by, e.created_at, e.disabled_at, e.disabled_reason, e.failing_since, e.livemode,
	(SELECT count(*) FROM outbound_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending') AS pending
	FROM webhook_endpoints e `

// NewWebhookEndpoint is what it takes to add an endpoint; the URL has been
// checked against the payout.EndpointPolicy.
type NewWebhookEndpoint struct {
	URL         string
	Description string
	Events      []string // payout.ParseEventTypes'; empty is every type
	Test        bool     // a test endpoint: test payouts' events only
}

// AddWebhookEndpoint records an endpoint with a new secret, audited, and
// returns it with the secret: the one time it is shown.
func (s *Store) AddWebhookEndpoint(ctx context.Context, n NewWebhookEndpoint, by Actor) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := s.WithTx(ctx, func(q Querier) error {
		var id int64
		err := q.GetContext(ctx, &id, `INSERT INTO webhook_endpoints (url, description, events, secret, created_by,
			created_by_user_id, livemode) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			n.URL, n.Description, pq.StringArray(append([]string{}, n.Events...)), payout.NewWebhookSecret(), by.Name, by.userID(),
			!n.Test)
		if err != nil {
			return fmt.Errorf("store: add webhook endpoint: %w", mapErr(err))
		}
		if e, err = endpointByID(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "webhook_endpoint.add", "webhook_endpoint", fmt.Sprint(id),
			map[string]any{"url": n.URL, "events": n.Events, "livemode": !n.Test})
	})
	return e, err
}

// WebhookEndpoints returns every endpoint, enabled ones first, newest first.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	if err := s.db.SelectContext(ctx, &out, endpointSelect+`ORDER BY e.disabled_at IS NOT NULL, e.id DESC`); err != nil {
		return nil, fmt.Errorf("store: webhook endpoints: %w", err)
	}
	return out, nil
}

// WebhookEndpointByID returns an endpoint, or ErrNotFound.
func (s *Store) WebhookEndpointByID(ctx context.Context, id int64) (WebhookEndpoint, error) {
	return endpointByID(ctx, s.db, id)
}

func endpointByID(ctx context.Context, q Querier, id int64) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	if err := q.GetContext(ctx, &e, endpointSelect+`WHERE e.id = $1`, id); err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store: webhook endpoint %d: %w", id, mapErr(err))
	}
	return e, nil
}

// RotateWebhookSecret gives an endpoint a new secret and returns the
// endpoint with it (shown once); the old one keeps signing beside it for
// payout.RotationOverlap. Audited; ErrNotFound for an unknown endpoint.
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, by Actor) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := s.WithTx(ctx, func(q Querier) error {
		tag, err := q.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, secret = $2,
			previous_secret_until = now() + $3 * interval '1 second' WHERE id = $1`,
			id, payout.NewWebhookSecret(), int64(payout.RotationOverlap/time.Second))
		if err != nil {
			return fmt.Errorf("store: rotate webhook endpoint %d: %w", id, err)
		}
		if n, _ := tag.RowsAffected(); n == 0 {
			return fmt.Errorf("store: webhook endpoint %d: %w", id, ErrNotFound)
		}
		if e, err = endpointByID(ctx, q, id); err != nil {
			return err
		}
		return audit(ctx, q, by.Name, "webhook_endpoint.rotate", "webhook_endpoint", fmt.Sprint(id),
			map[string]any{"previous_until": e.PreviousSecretUntil})
	})
	return e, err
}

// SetWebhookEndpointEnabled disables an endpoint with a reason, or enables
// a disabled one again (its failures forgotten: its pending deliveries
// resume at once, each with a fresh schedule).
// Audited; ErrNotFound for an unknown endpoint.
func (s *Store) SetWebhookEndpointEnabled(ctx context.Context, id int64, enabled bool, reason string, by Actor) error {
	return s.WithTx(ctx, func(q Querier) error {
		return setEndpointEnabled(ctx, q, id, enabled, reason, by.Name)
	})
}

func setEndpointEnabled(ctx context.Context, q Querier, id int64, enabled bool, reason, actor string) error {
	action, args := "webhook_endpoint.disabled", []any{id, reason}
	// Disabling one disabled already keeps its reason: the delivery job's
	// "failing" is what its owner's notice stands on until it is enabled.
	query := `UPDATE webhook_endpoints SET disabled_at = coalesce(disabled_at, now()),
		disabled_reason = CASE WHEN disabled_at IS NULL THEN $2 ELSE disabled_reason END WHERE id = $1`
	if enabled {
		action, args = "webhook_endpoint.enabled", []any{id}
		// A disabled endpoint's waiting deliveries go now, each with a
		// fresh schedule: those that waited out a whole schedule on the
		// outage (payout.GiveUp) would otherwise be given up at their next
		// failure. Written before the endpoint's row, in the order an
		// attempt takes them (its delivery, then its endpoint). Enabling
		// an endpoint that is enabled already changes nothing: its
		// failures and schedules stand.
		if _, err := q.ExecContext(ctx, `UPDATE outbound_deliveries SET attempts = 0, next_attempt_at = now()
			WHERE endpoint_id = $1 AND state = 'pending'
			  AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1 AND disabled_at IS NOT NULL)`, id); err != nil {
			return fmt.Errorf("store: deliveries of webhook endpoint %d: %w", id, err)
		}
		query = `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = '',
			failing_since = CASE WHEN disabled_at IS NULL THEN failing_since END WHERE id = $1`
	}
	tag, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", action, id, err)
	}
	if n, _ := tag.RowsAffected(); n == 0 {
		return fmt.Errorf("store: webhook endpoint %d: %w", id, ErrNotFound)
	}
	return audit(ctx, q, actor, action, "webhook_endpoint", fmt.Sprint(id), map[string]any{"reason": reason})
}

// SendTestEvent writes a webhook.test event for one endpoint only, whatever
// it subscribes to, and returns its webhook-id. Audited.
func (s *Store) SendTestEvent(ctx context.Context, id int64, by Actor) (string, error) {
	var webhookID string
	err := s.WithTx(ctx, func(q Querier) error {
		err := q.GetContext(ctx, &webhookID, `
			WITH ev AS (
				INSERT INTO outbound_events (type, data)
				SELECT $2, jsonb_build_object('endpoint_id', id, 'sent_by', $3::text)
				FROM webhook_endpoints WHERE id = $1
				RETURNING id, webhook_id),
			d AS (INSERT INTO outbound_deliveries (event_id, endpoint_id) SELECT ev.id, $1 FROM ev)
			SELECT webhook_id FROM ev`, id, payout.EventWebhookTest, by.Name)
		if err != nil {
			return fmt.Errorf("store: test event to webhook endpoint %d: %w", id, mapErr(err))
		}
		return audit(ctx, q, by.Name, "webhook_endpoint.test", "webhook_endpoint", fmt.Sprint(id),
			map[string]any{"webhook_id": webhookID})
	})
	return webhookID, err
}
