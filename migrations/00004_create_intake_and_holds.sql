-- +goose Up
-- +goose StatementBegin
-- Bearer tokens of the platforms that send payouts through the API. Only a
-- SHA-256 of each token is kept: tokens are 256 random bits, so the hash
-- cannot be reversed, and a database dump holds nothing that authenticates.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,           -- the first characters, to tell tokens apart in lists
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

ALTER TABLE beneficiaries
    ADD COLUMN tax_artifact TEXT NOT NULL DEFAULT 'present'
        CHECK (tax_artifact IN ('present', 'missing', 'expired', 'under_review'));

ALTER TABLE payouts
    ADD COLUMN market            CHAR(2) NOT NULL DEFAULT 'IN',
    ADD COLUMN metadata          JSONB NOT NULL DEFAULT '{}',
    -- The API request as received, without the account number (compared
    -- with the beneficiary's), so a repeated reference_id can be checked
    -- field by field.
    ADD COLUMN intake            JSONB,
    ADD COLUMN submit_attempts   INT NOT NULL DEFAULT 0,
    ADD COLUMN next_submit_at    TIMESTAMPTZ,
    ADD COLUMN last_submit_error TEXT NOT NULL DEFAULT '';
-- The submission worker's queue: queued payouts the provider has not seen.
CREATE INDEX payouts_to_submit ON payouts (next_submit_at NULLS FIRST, id)
    WHERE status = 'QUEUED' AND submitted_at IS NULL;

-- Every evaluation of a release gate: what was checked, with which inputs,
-- by which rule, when, for whom, and the answer. Append-only.
CREATE TABLE gate_evaluations (
    id           BIGSERIAL PRIMARY KEY,
    payout_id    BIGINT NOT NULL REFERENCES payouts (id),
    gate         TEXT NOT NULL,
    rule         TEXT NOT NULL,
    inputs       JSONB NOT NULL DEFAULT '{}',
    passed       BOOLEAN NOT NULL,
    answer       TEXT NOT NULL,
    occasion     TEXT NOT NULL CHECK (occasion IN ('intake', 'submit', 'release')),
    actor        TEXT NOT NULL,
    evaluated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX gate_evaluations_payout ON gate_evaluations (payout_id, id);
CREATE TRIGGER gate_evaluations_append_only BEFORE UPDATE OR DELETE ON gate_evaluations
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Why a payout can be held, who owns each reason by default, whom it
-- escalates to, and how long it may stay open. Admins edit owners and SLAs
-- in the dashboard.
CREATE TABLE hold_reasons (
    reason        TEXT PRIMARY KEY,
    label         TEXT NOT NULL,
    owner_id      BIGINT REFERENCES users (id),
    next_owner_id BIGINT REFERENCES users (id),
    sla_minutes   INT NOT NULL CHECK (sla_minutes > 0),
    position      INT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO hold_reasons (reason, label, sla_minutes, position) VALUES
    ('beneficiary',        'Beneficiary details incomplete', 1440, 1),
    ('tax_artifact',       'Tax artifact not present',       4320, 2),
    ('review_threshold',   'Above review threshold',          480, 3),
    ('market_read_only',   'Market is read-only',            4320, 4),
    ('insufficient_funds', 'Insufficient funds at provider',  240, 5),
    ('manual_review',      'Submission needs manual review',  240, 6);

CREATE TABLE holds (
    id                 BIGSERIAL PRIMARY KEY,
    payout_id          BIGINT NOT NULL REFERENCES payouts (id),
    reason             TEXT NOT NULL REFERENCES hold_reasons (reason),
    detail             TEXT NOT NULL,              -- the gate's answer
    evaluation_id      BIGINT REFERENCES gate_evaluations (id),
    owner_id           BIGINT REFERENCES users (id),
    placed_by          TEXT NOT NULL,              -- a user's email, "api:<token>", "submitter"
    placed_by_user_id  BIGINT REFERENCES users (id),
    placed_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sla_due_at         TIMESTAMPTZ NOT NULL,
    escalated_at       TIMESTAMPTZ,
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'released', 'rejected')),
    decided_by         TEXT,
    decided_by_user_id BIGINT REFERENCES users (id),
    decided_at         TIMESTAMPTZ,
    decision_note      TEXT
);
CREATE UNIQUE INDEX holds_one_open_per_reason ON holds (payout_id, reason) WHERE state = 'open';
CREATE INDEX holds_open_by_due ON holds (sla_due_at) WHERE state = 'open';
CREATE INDEX holds_payout ON holds (payout_id, id);

-- Evidence on a hold: the gate's record, then notes and links operators
-- add. Append-only.
CREATE TABLE hold_evidence (
    id               BIGSERIAL PRIMARY KEY,
    hold_id          BIGINT NOT NULL REFERENCES holds (id),
    kind             TEXT NOT NULL CHECK (kind IN ('gate', 'note', 'link', 'tax_artifact', 'provider')),
    body             TEXT NOT NULL,
    url              TEXT NOT NULL DEFAULT '',
    added_by         TEXT NOT NULL,
    added_by_user_id BIGINT REFERENCES users (id),
    added_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX hold_evidence_hold ON hold_evidence (hold_id, id);
CREATE TRIGGER hold_evidence_append_only BEFORE UPDATE OR DELETE ON hold_evidence
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DROP TABLE hold_evidence;
DROP TABLE holds;
DROP TABLE hold_reasons;
DROP TABLE gate_evaluations;
DROP INDEX payouts_to_submit;
ALTER TABLE payouts DROP COLUMN market, DROP COLUMN metadata, DROP COLUMN intake, DROP COLUMN submit_attempts,
    DROP COLUMN next_submit_at, DROP COLUMN last_submit_error;
ALTER TABLE beneficiaries DROP COLUMN tax_artifact;
DROP TABLE api_tokens;
-- +goose StatementEnd
