-- +goose Up
-- +goose StatementBegin
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('ops', 'finance', 'compliance', 'admin')),
    password_hash TEXT NOT NULL,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Account numbers are stored whole (the provider needs them) and shown only
-- masked; account_last4 is what pages and logs may use.
CREATE TABLE beneficiaries (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL,
    account_number TEXT NOT NULL,
    account_last4  TEXT GENERATED ALWAYS AS (right(account_number, 4)) STORED,
    ifsc           TEXT NOT NULL DEFAULT '',
    bank_code      TEXT NOT NULL DEFAULT '',
    bank_name      TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE payouts (
    id                 BIGSERIAL PRIMARY KEY,
    reference_id       TEXT NOT NULL UNIQUE,  -- our idempotency key at the provider
    provider           TEXT NOT NULL,
    provider_payout_id TEXT,
    beneficiary_id     BIGINT NOT NULL REFERENCES beneficiaries (id),
    amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
    currency           CHAR(3) NOT NULL,
    mode               TEXT NOT NULL DEFAULT '',
    narration          TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('HELD', 'QUEUED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'REVERSED')),
    failure_code       TEXT NOT NULL DEFAULT '',
    failure_reason     TEXT NOT NULL DEFAULT '',
    utr                TEXT NOT NULL DEFAULT '',
    fee_minor          BIGINT,
    submitted_at       TIMESTAMPTZ,
    last_checked_at    TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The stuck list and the reconciler read open payouts oldest first.
CREATE INDEX payouts_open_by_updated ON payouts (updated_at) WHERE status IN ('QUEUED', 'PROCESSING');
CREATE UNIQUE INDEX payouts_provider_payout_id_key ON payouts (provider, provider_payout_id) WHERE provider_payout_id IS NOT NULL;
CREATE INDEX payouts_created ON payouts (created_at);

-- Every observation of a payout's status, applied or not, with why.
CREATE TABLE payout_events (
    id             BIGSERIAL PRIMARY KEY,
    payout_id      BIGINT NOT NULL REFERENCES payouts (id),
    source         TEXT NOT NULL CHECK (source IN ('webhook', 'poll', 'manual', 'system')),
    raw_status     TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT '',
    previous       TEXT NOT NULL DEFAULT '',
    decision       TEXT NOT NULL CHECK (decision IN ('applied', 'merged', 'stale', 'anomaly', 'error')),
    detail         TEXT NOT NULL DEFAULT '',
    utr            TEXT NOT NULL DEFAULT '',
    failure_code   TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL DEFAULT '',
    observed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payout_events_payout ON payout_events (payout_id, id);

CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    details     JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);

-- The audit log is append-only: history cannot be rewritten, even by payops.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE payout_events;
DROP TABLE payouts;
DROP TABLE beneficiaries;
DROP TABLE users;
-- +goose StatementEnd
