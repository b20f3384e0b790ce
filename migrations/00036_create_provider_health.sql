-- +goose Up
-- Provider health (issue 18): call counts per provider and minute, each
-- provider's circuit breaker and last balance, and downtime notices that
-- pause submissions. All in the database so every instance agrees.
-- +goose StatementBegin
-- Each instance adds its counts of a minute every few seconds (an upsert a
-- flush, not a row a call); pruned after a few days.
CREATE TABLE provider_call_stats (
    provider    TEXT NOT NULL,
    minute      TIMESTAMPTZ NOT NULL,
    operation   TEXT NOT NULL,
    error_class TEXT NOT NULL, -- 'none' for a 2xx answer, else adapters.Kind
    calls       BIGINT NOT NULL CHECK (calls >= 0),
    total_ms    BIGINT NOT NULL CHECK (total_ms >= 0),
    max_ms      BIGINT NOT NULL CHECK (max_ms >= 0),
    PRIMARY KEY (provider, minute, operation, error_class)
);
CREATE INDEX provider_call_stats_minute ON provider_call_stats (minute);

-- One row a provider, made on first use.
CREATE TABLE provider_state (
    provider             TEXT PRIMARY KEY,
    -- The breaker: transient submission failures in a row; open (paused)
    -- until retry_at, then one probe at a time (probe_until: the probe's
    -- lease); a success closes it.
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    breaker_opened_at    TIMESTAMPTZ,
    breaker_retry_at     TIMESTAMPTZ,
    probe_until          TIMESTAMPTZ,
    last_failure         TEXT NOT NULL DEFAULT '',
    last_failure_at      TIMESTAMPTZ,
    -- The last balance read, and the last failure to read one.
    balance_minor        BIGINT,
    balance_currency     TEXT,
    balance_at           TIMESTAMPTZ,
    balance_error        TEXT NOT NULL DEFAULT '',
    balance_error_at     TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A provider's downtime notice (RazorpayX payout.downtime.started): the
-- provider's payouts of the mode ('' for every mode) are not sent until it
-- is resolved or pause_until passes (PAYOPS_DOWNTIME_MAX_PAUSE).
CREATE TABLE provider_downtimes (
    id          BIGSERIAL PRIMARY KEY,
    provider    TEXT NOT NULL,
    downtime_id TEXT NOT NULL DEFAULT '', -- the provider's id; '' when it gives none
    mode        TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    pause_until TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    UNIQUE (provider, downtime_id, mode)
);
CREATE INDEX provider_downtimes_open ON provider_downtimes (provider) WHERE resolved_at IS NULL;

-- The balance notice: finance and admins, once a day while it lasts.
INSERT INTO notify_channels (kind, reminder_minutes, threshold_count, threshold_minutes)
VALUES ('balance_low', 1440, 1, 0) ON CONFLICT (kind) DO NOTHING;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DELETE FROM notify_channels WHERE kind = 'balance_low';
DROP TABLE provider_downtimes;
DROP TABLE provider_state;
DROP TABLE provider_call_stats;
-- +goose StatementEnd
