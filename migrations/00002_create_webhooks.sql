-- +goose Up
-- +goose StatementBegin
-- Every webhook delivery as it arrived, verified or not, and what came of it.
CREATE TABLE webhook_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    provider    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    headers     JSONB NOT NULL DEFAULT '{}',   -- selected headers; never a callback token
    body        BYTEA NOT NULL,                -- the raw bytes the signature covers
    payload     TEXT NOT NULL DEFAULT '',      -- the readable form (Paywize: decrypted)
    verified    BOOLEAN NOT NULL,
    event_id    TEXT NOT NULL DEFAULT '',
    event_type  TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'merged', 'duplicate', 'stale', 'anomaly', 'orphan',
                                                 'ignored', 'rejected', 'malformed')),
    detail      TEXT NOT NULL DEFAULT '',
    payout_id   BIGINT REFERENCES payouts (id)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at DESC, id DESC);
CREATE INDEX webhook_deliveries_payout ON webhook_deliveries (payout_id) WHERE payout_id IS NOT NULL;

-- One row per distinct event: the dedupe key, and the parsed observation so
-- an orphan (an event for a payout we do not know yet) can be applied later.
CREATE TABLE webhook_events (
    provider           TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    delivery_id        BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    provider_payout_id TEXT NOT NULL DEFAULT '',
    reference_id       TEXT NOT NULL DEFAULT '',
    raw_status         TEXT NOT NULL,
    status             TEXT NOT NULL,
    utr                TEXT NOT NULL DEFAULT '',
    failure_code       TEXT NOT NULL DEFAULT '',
    failure_reason     TEXT NOT NULL DEFAULT '',
    fee_minor          BIGINT,
    observed_at        TIMESTAMPTZ,
    payout_id          BIGINT REFERENCES payouts (id),  -- NULL while an orphan
    PRIMARY KEY (provider, event_id)
);
CREATE INDEX webhook_events_orphan_ppid ON webhook_events (provider, provider_payout_id) WHERE payout_id IS NULL;
CREATE INDEX webhook_events_orphan_ref ON webhook_events (provider, reference_id) WHERE payout_id IS NULL;

ALTER TABLE payout_events ADD COLUMN delivery_id BIGINT REFERENCES webhook_deliveries (id);
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
ALTER TABLE payout_events DROP COLUMN delivery_id;
DROP TABLE webhook_events;
DROP TABLE webhook_deliveries;
-- +goose StatementEnd
