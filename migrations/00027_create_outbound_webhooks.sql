-- +goose Up
-- Outbound webhooks to the platform (Standard Webhooks): the endpoints, a
-- transactional outbox of events written in the transaction of the change
-- that causes them, one delivery per event and subscribed endpoint, and
-- every attempt to deliver it.
CREATE TABLE webhook_endpoints (
	id                    BIGSERIAL PRIMARY KEY,
	url                   TEXT NOT NULL,
	description           TEXT NOT NULL DEFAULT '',
	events                TEXT[] NOT NULL DEFAULT '{}', -- empty: every event type
	secret                TEXT NOT NULL,                -- whsec_<base64>
	previous_secret       TEXT,                         -- still signs until previous_secret_until
	previous_secret_until TIMESTAMPTZ,
	created_by            TEXT NOT NULL,
	created_by_user_id    BIGINT REFERENCES users (id),
	created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
	disabled_at           TIMESTAMPTZ,
	disabled_reason       TEXT NOT NULL DEFAULT '',
	failing_since         TIMESTAMPTZ                   -- the first failure since the last success
);

-- One row per event. A payout event keeps snapshot: the rows the API's
-- payout JSON is made of as of the commit; body is the envelope as first
-- sent, so every attempt sends the same bytes.
CREATE TABLE outbound_events (
	id         BIGSERIAL PRIMARY KEY,
	webhook_id TEXT NOT NULL UNIQUE DEFAULT ('msg_' || replace(gen_random_uuid()::text, '-', '')),
	type       TEXT NOT NULL,
	payout_id  BIGINT REFERENCES payouts (id),
	snapshot   JSONB,
	data       JSONB,
	body       TEXT,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbound_events_payout_idx ON outbound_events (payout_id) WHERE payout_id IS NOT NULL;

CREATE TABLE outbound_deliveries (
	id              BIGSERIAL PRIMARY KEY,
	event_id        BIGINT NOT NULL REFERENCES outbound_events (id),
	endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id),
	payout_id       BIGINT, -- the event's, for delivering a payout's events in order
	state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts        INT NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	last_status     INT,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
	done_at         TIMESTAMPTZ,
	UNIQUE (event_id, endpoint_id)
);
CREATE INDEX outbound_deliveries_due_idx ON outbound_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbound_deliveries_order_idx ON outbound_deliveries (endpoint_id, payout_id, event_id)
	WHERE state = 'pending';
CREATE INDEX outbound_deliveries_endpoint_idx ON outbound_deliveries (endpoint_id, id);

CREATE TABLE outbound_attempts (
	id           BIGSERIAL PRIMARY KEY,
	delivery_id  BIGINT NOT NULL REFERENCES outbound_deliveries (id),
	attempted_at TIMESTAMPTZ NOT NULL,
	http_status  INT,                        -- NULL when no answer came
	latency_ms   INT NOT NULL,
	response     TEXT NOT NULL DEFAULT '',   -- the answer's first 1 KiB
	error        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbound_attempts_delivery_idx ON outbound_attempts (delivery_id, id);

-- +goose Down
DROP TABLE outbound_attempts;
DROP TABLE outbound_deliveries;
DROP TABLE outbound_events;
DROP TABLE webhook_endpoints;
