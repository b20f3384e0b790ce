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
	payout_id  BIGINT, -- no foreign key: its check costs the hot path, and payouts are never deleted
	snapshot   JSONB,
	data       JSONB,
	body       TEXT,
	created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE outbound_deliveries (
	id              BIGSERIAL PRIMARY KEY,
	event_id        BIGINT NOT NULL REFERENCES outbound_events (id),
	-- No foreign key: its check would share-lock the endpoint's row from every
	-- concurrent ingestion (a multixact each); endpoints are never deleted.
	endpoint_id     BIGINT NOT NULL,
	payout_id       BIGINT, -- the event's, for delivering a payout's events in order
	state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts        INT NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
	last_status     INT,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
	done_at         TIMESTAMPTZ,
	UNIQUE (endpoint_id, event_id) -- also the endpoint's delivery log, newest first
);
CREATE INDEX outbound_deliveries_due_idx ON outbound_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbound_deliveries_order_idx ON outbound_deliveries (endpoint_id, payout_id, event_id)
	WHERE state = 'pending';

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

-- outbox_payout_event writes event p_type about payout p_payout, as it
-- stands in the calling transaction, with one delivery per enabled endpoint
-- subscribed to the type; with none it writes nothing. The snapshot holds the
-- rows store.PayoutJSONOf reads, keyed by column names (the db tags of
-- store.Payout, Hold and LedgerEntry); the delivery job builds the API's
-- payout JSON from it. A function, so that its statements' plans are cached
-- per connection: planned on every call, they cost the ingestion of a
-- webhook more than running them.
-- +goose StatementBegin
CREATE FUNCTION outbox_payout_event(p_payout BIGINT, p_type TEXT) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
	event BIGINT;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
		WHERE disabled_at IS NULL AND (cardinality(events) = 0 OR p_type = ANY (events))) THEN
		RETURN;
	END IF;
	INSERT INTO outbound_events (type, payout_id, snapshot)
	VALUES (p_type, p_payout, jsonb_build_object(
		'payout', (SELECT to_jsonb(x) FROM (SELECT p.reference_id, p.status, p.provider, p.provider_payout_id,
			p.amount_minor, p.currency, p.fee_minor, p.utr, p.failure_code, p.failure_reason, p.metadata, p.created_at,
			p.updated_at FROM payouts p WHERE p.id = p_payout) x),
		'holds', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.state <> 'open', h.id) FROM (SELECT h.id, h.reason, h.detail,
			h.state, h.placed_at, h.decided_at FROM holds h WHERE h.payout_id = p_payout) h),
		'ledger', (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.entry_id) FROM (SELECT e.id AS entry_id, e.posting_id, l.kind,
			l.posted_at, e.account, e.direction, e.amount_minor, e.currency
			FROM ledger_postings l JOIN ledger_entries e ON e.posting_id = l.id WHERE l.payout_id = p_payout) x)))
	RETURNING id INTO event;
	INSERT INTO outbound_deliveries (event_id, endpoint_id, payout_id)
	SELECT event, id, p_payout FROM webhook_endpoints
	WHERE disabled_at IS NULL AND (cardinality(events) = 0 OR p_type = ANY (events));
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION outbox_payout_event(BIGINT, TEXT);
DROP TABLE outbound_attempts;
DROP TABLE outbound_deliveries;
DROP TABLE outbound_events;
DROP TABLE webhook_endpoints;
